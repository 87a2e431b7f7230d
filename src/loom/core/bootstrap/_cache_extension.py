"""``CacheExtension``: the kernel's cache (:class:`KernelCache`) as an extension.

Declared in Loom's ``loom.extensions`` entry points as ``cache``; enabled by a ``cache:``
section unless ``cache.enabled`` is false.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from loom.core.bootstrap._cache import KernelCache
from loom.core.extension import Extension
from loom.core.repository.abc import RepoFor

if TYPE_CHECKING:
    from loom.core.bootstrap._kernel import Kernel
    from loom.core.config import LoomConfig


class CacheExtension(Extension):
    """Owns one kernel's :class:`KernelCache` and forwards the kernel's hooks to it.

    Attributes:
        cache: The kernel's cache (after boot).
    """

    name = "cache"

    def __init__(self) -> None:
        self.cache: KernelCache | None = None

    def enabled(self, config: LoomConfig) -> bool:
        """With a ``cache:`` section whose ``enabled`` is true."""
        return config.cache is not None and config.cache.enabled

    async def on_boot(self, kernel: Kernel) -> None:
        """Open the backends and subscribe to commits."""
        section = kernel.config.cache
        assert section is not None  # enabled() checked it
        self.cache = KernelCache(section)
        await self.cache.on_boot(kernel)

    async def on_started(self, kernel: Kernel) -> None:
        """Forwarded to the cache when it has this hook."""
        hook = getattr(self.cache, "on_started", None)
        if hook is not None:
            await hook(kernel)

    async def drain(self, timeout: float) -> None:  # noqa: ASYNC109 (the kernel's drain timeout)
        """Forwarded to the cache when it has this hook."""
        hook = getattr(self.cache, "drain", None)
        if hook is not None:
            await hook(timeout)

    def wrap_repository(self, model: type[Any], repository: RepoFor[Any]) -> RepoFor[Any]:
        """The cached repository of ``model`` (or ``repository`` when it is not cached)."""
        if self.cache is None:
            return repository
        return self.cache.wrap_repository(model, repository)

    async def on_stop(self, kernel: Kernel) -> None:
        """Close the backends."""
        if self.cache is not None:
            await self.cache.on_stop(kernel)
