"""The kernel's cache: backends owned by one kernel, cached repositories, post-commit bumps,
and the journal of invalidations a shared cache did not receive."""

from __future__ import annotations

import logging
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

logger = logging.getLogger("loom.cache")


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
        journal = getattr(kernel.persistence, "cache_journal", None)  # absent: another adapter
        if self.counters.shared and journal is not None:
            self.journal = journal()
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
        those other processes record (the journal's table exists now, unless the schema is
        left to migrations that did not create it)."""
        journal, resolver = self.journal, self.resolver
        if journal is None or resolver is None:
            return
        try:
            ready = await journal.ready()
        except Exception:
            ready = True  # cannot tell now; reads that need it will say what fails
        if not ready:
            logger.warning(
                "cache: the table of lost cache invalidations does not exist, so a write whose "
                "counter bump cannot reach the cache leaves other processes serving the old "
                "value until its TTL; create it (database.schema: create_all, or a migration)"
            )
            resolver.recovery.drop_journal()
            self.journal = None
            return
        self.applier = JournalApplier(resolver, journal, poll=self.config.invalidation_poll)
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
