"""The ``Extension`` protocol: what a capability plugged into the kernel may provide.

Imports only the standard library (the kernel's types are referenced for typing only).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

if TYPE_CHECKING:
    from loom.core.bootstrap import Kernel, Persistence
    from loom.core.config import LoomConfig
    from loom.core.di import LoomContainer
    from loom.core.repository.abc import RepoFor


class Extension(Protocol):
    """A capability the kernel loads: the database adapter, the cache, jobs, or your own.

    Installed distributions declare extensions in the ``loom.extensions`` entry point group,
    naming a class whose ``name`` is the entry point's name; the kernel makes one instance per
    kernel (``cls()``, no arguments) and keeps it when :meth:`enabled` says so. Subclass this
    protocol to inherit the defaults below and override only what you need.

    Lifecycle, in order: :meth:`provide_persistence` (the first extension that returns one
    provides the database), :meth:`on_boot` (every enabled extension, ordered by ``after``),
    :meth:`container_module` (loaded before the application's own modules, so the application
    can replace what an extension registers), the database opens, :meth:`on_started`; at stop
    :meth:`on_stop` in reverse order.

    Attributes:
        name: Unique name (``"sqlalchemy"``, ``"cache"``, ``"jobs"``, ``"celery"``).
        config_section: A top-level key of the YAML file this extension owns, or ``None``.
            Unknown top-level keys still fail unless an installed extension claims them.
        config_type: A ``msgspec.Struct`` the section is converted to (unknown keys and wrong
            types fail like Loom's own sections); ``None`` keeps the section as plain data.
            Read it from ``kernel.config.extensions[config_section]``.
        after: Names of extensions that boot before this one and stop after it, when they
            are enabled.

    Example:
        >>> class AuditExtension(Extension):
        ...     name = "audit"
        ...     config_section = "audit"
        ...
        ...     async def on_started(self, kernel: Kernel) -> None:
        ...         print("audit is on:", kernel.config.extensions["audit"])
    """

    name: ClassVar[str]
    config_section: ClassVar[str | None] = None
    config_type: ClassVar[type[Any] | None] = None
    after: ClassVar[tuple[str, ...]] = ()

    def enabled(self, config: LoomConfig) -> bool:
        """Whether this extension takes part in a kernel with ``config`` (default: always)."""
        return True

    def provide_persistence(self, kernel: Kernel) -> Persistence | None:
        """The database adapter of ``kernel`` (``kernel.models`` are known), or ``None``."""
        return None

    def container_module(self, kernel: Kernel) -> Callable[[LoomContainer], None] | None:
        """A container module registering this extension's services, or ``None``."""
        return None

    async def on_boot(self, kernel: Kernel) -> None:
        """Build what the extension needs; ``kernel.persistence`` exists, the database is
        not opened yet (an outbox adds its tables to the schema here)."""
        return None

    async def on_started(self, kernel: Kernel) -> None:
        """Start background work; the database is open and the container validated."""
        return None

    async def on_stop(self, kernel: Kernel) -> None:
        """Stop and release what :meth:`on_boot` and :meth:`on_started` opened."""
        return None

    async def drain(self, timeout: float) -> None:  # noqa: ASYNC109 (the kernel's drain timeout)
        """Wait until pending background work is done (``kernel.drain()`` in tests)."""
        return None

    def wrap_repository(self, model: type[Any], repository: RepoFor[Any]) -> RepoFor[Any]:
        """The repository use cases get for ``model`` (default: ``repository`` unchanged)."""
        return repository
