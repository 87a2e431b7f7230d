"""The kernel's cache: backends owned by one kernel, cached repositories, post-commit bumps,
and the journal of invalidations a shared cache did not receive."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from loom.core.cache import (
    CacheConfig,
    CachedRepository,
    CacheGateway,
    GenerationalDependencyResolver,
    InvalidationJournal,
    JournalApplier,
    is_cached,
)
from loom.core.config import CacheSection
from loom.core.repository.abc import RepoFor

if TYPE_CHECKING:
    from loom.core.bootstrap._kernel import Kernel

_STORAGE = "loom.core.repository.sqlalchemy"


class KernelCache:
    """Owns one kernel's cache backends (not aiocache's global registry); wraps repositories.

    With a ``cache:`` section every model's default repository is cached unless
    ``cache.enabled: false``; a custom repository opts in with ``@cached``. Counters exist only
    for the entities a cached repository reads (its model, relation targets and projections'
    ``depends_on``): the kernel wraps every model's repository at boot, so every process of an
    application watches the same entities.

    When the counters live on a shared server (Redis), bumps that cannot reach it are recorded
    in the database's journal and applied by whichever process reaches it first; an applier
    runs in the background of every kernel.
    """

    def __init__(self, section: CacheSection) -> None:
        self.config = CacheConfig.from_mapping(section.to_mapping())
        self.data: CacheGateway | None = None
        self.counters: CacheGateway | None = None
        self.resolver: GenerationalDependencyResolver | None = None
        self.journal: InvalidationJournal | None = None
        self.applier: JournalApplier | None = None

    async def on_boot(self, kernel: Kernel) -> None:
        """Open the backends and bump counters after every commit."""
        config = self.config
        self.data, self.counters = CacheGateway.pair_from_config(config)
        if self.counters.shared:
            # The storage adapter is loaded by name: this module imports no database library.
            storage = importlib.import_module(_STORAGE)
            self.journal = storage.build_cache_journal(kernel.persistence)
        self.resolver = GenerationalDependencyResolver(
            self.counters,
            journal=self.journal,
            watched=(),  # filled by the cached repositories wrapped below
            counter_ttl=config.counter_ttl,
            wait=config.invalidation_wait,
        )
        kernel.persistence.add_post_commit_hook(self.resolver)

    async def on_started(self, kernel: Kernel) -> None:
        """Catch up on invalidations recorded before this process started, then keep applying
        those other processes record (the journal's table exists now)."""
        if self.journal is not None and self.resolver is not None:
            self.applier = JournalApplier(
                self.resolver, self.journal, poll=self.config.invalidation_poll
            )
            await self.applier.start()

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
        """Stop the applier, then close each distinct backend once."""
        if self.applier is not None:
            await self.applier.stop()
            self.applier = None
        gateways = {id(g): g for g in (self.data, self.counters) if g is not None}
        for gateway in gateways.values():
            await gateway.close()
