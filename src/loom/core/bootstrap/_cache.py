"""The kernel's cache: backends owned by one kernel, cached repositories, post-commit bumps."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from loom.core.cache import (
    CacheConfig,
    CachedRepository,
    CacheGateway,
    GenerationalDependencyResolver,
    is_cached,
)
from loom.core.config import CacheSection
from loom.core.repository.abc import RepoFor

if TYPE_CHECKING:
    from loom.core.bootstrap._kernel import Kernel


class KernelCache:
    """Owns one kernel's cache backends (not aiocache's global registry); wraps repositories.

    With a ``cache:`` section every model's default repository is cached unless
    ``cache.enabled: false``; a custom repository opts in with ``@cached``.
    """

    def __init__(self, section: CacheSection) -> None:
        self.config = CacheConfig.from_mapping(section.to_mapping())
        self.data: CacheGateway | None = None
        self.counters: CacheGateway | None = None
        self.resolver: GenerationalDependencyResolver | None = None

    async def on_boot(self, kernel: Kernel) -> None:
        """Open the backends and bump counters after every commit."""
        self.data, self.counters = CacheGateway.pair_from_config(self.config)
        self.resolver = GenerationalDependencyResolver(self.counters)
        kernel.persistence.add_post_commit_hook(self.resolver)

    def wrap_repository(self, model: type[Any], repository: RepoFor[Any]) -> RepoFor[Any]:
        """The cached repository of ``model``, or ``repository`` when it is not to be cached."""
        custom = model.__dict__.get("__loom_repository__")
        if custom is not None and not is_cached(custom):
            return repository
        assert self.data is not None
        assert self.resolver is not None
        return CachedRepository(
            repository, config=self.config, cache=self.data, dependency_resolver=self.resolver
        )

    def status(self) -> dict[str, Any]:
        """What ``/ready`` reports: the cache answers, or is degraded (reads go to the database)."""
        gateways = {id(g): g for g in (self.data, self.counters) if g is not None}
        degraded = any(g.degraded for g in gateways.values())
        stats = self.data.stats.as_dict() if self.data is not None else {}
        return {"status": "degraded" if degraded else "ok", **stats}

    async def on_stop(self, kernel: Kernel) -> None:
        """Close each distinct backend once."""
        gateways = {id(g): g for g in (self.data, self.counters) if g is not None}
        for gateway in gateways.values():
            await gateway.close()
