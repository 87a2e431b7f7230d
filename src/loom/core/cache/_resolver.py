"""Generational invalidation: tags, their counters, and the fingerprint cached values carry.

Every cached value depends on tags: the entity tag (``products``: every row), an id tag
(``products:id:5``: one row) and the list tag (``products:list``: every list). Each tag has a
generation counter; a committed write increments the counters of the tags it touched, and a
value is valid only while the fingerprint of its tags' counters is the one stored with it.

Counters live ``counter_ttl`` seconds after their last bump or dependent write, longer than
any entry that depends on them, and exist only for the entities some cached read depends on
(when the resolver is told which: ``watched``). A bump that cannot be delivered is handed to
:class:`~loom.core.cache._recovery.Recovery` (durable record, blocked reads).

Imports the standard library and ``loom.core`` only; storage goes through the gateway.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from typing import Any, Protocol, runtime_checkable

from loom.core.cache._backend import CacheBackend
from loom.core.cache._counters import (
    EPOCH_KEY,
    TAG_PREFIX,
    Digests,
    Route,
    canonical,
    initial_counter,
    new_epoch,
)
from loom.core.cache._gateway import CacheGateway
from loom.core.cache._journal import InvalidationJournal
from loom.core.cache._recovery import Recovery
from loom.core.errors import CacheError
from loom.core.events import MutationEvent

logger = logging.getLogger("loom.cache")

__all__ = ["EPOCH_KEY", "TAG_PREFIX", "DependencyResolver", "GenerationalDependencyResolver"]


@runtime_checkable
class DependencyResolver(Protocol):
    """Tracks what cached values depend on and invalidates them after committed writes."""

    async def fingerprint(self, tags: list[str]) -> str:
        """A string that changes whenever a generation of one of ``tags`` changes."""
        ...

    async def bump_from_events(self, events: tuple[MutationEvent, ...]) -> None:
        """Advance the generations of every tag the committed events touched."""
        ...

    def entity_tags(self, entity: str, entity_id: object | None) -> list[str]:
        """Tags a single-entity lookup depends on."""
        ...

    def list_tags(self, entity: str, filter_fingerprint: str) -> list[str]:
        """Tags a list query depends on."""
        ...


class GenerationalDependencyResolver:
    """Generation counters kept in a counter backend (Redis ``INCR`` or in-process).

    A write to row 5 bumps ``<entity>:id:5`` and ``<entity>:list``: the cached row 6 stays
    valid, every cached list of the entity does not. A delete, or an event without ids, bumps
    the entity tag, which every value of the entity depends on. Events naming other entities
    (cascades, projections' ``depends_on``) bump those entities' tags the same way.

    The resolver is also a post-commit hook (``on_transaction_committed``); a
    :class:`~loom.core.cache.CachedRepository` registers it on its repository's session
    manager. Share one resolver per process and counter backend.

    Args:
        cache: The counter backend (a :class:`CacheGateway` for one-round-trip reads).
        journal: Where bumps that could not be delivered are recorded durably, so that every
            process catches up (the kernel passes the database's journal).
        watched: Entities some cached read depends on; events of other entities bump
            nothing (``None``: every entity). Cached repositories add theirs (:meth:`watch`).
        counter_ttl: Seconds a counter lives after its last bump or dependent write
            (``None``: no expiry); cached repositories raise it to their config's
            :attr:`CacheConfig.counter_ttl`.
        wait: Seconds a writer whose bump was lost waits for another process to apply it.
    """

    def __init__(
        self,
        cache: CacheBackend,
        *,
        journal: InvalidationJournal | None = None,
        watched: Iterable[str] | None = None,
        counter_ttl: int | None = None,
        wait: float = 2.0,
    ) -> None:
        self.cache = cache
        self._gateway = cache if isinstance(cache, CacheGateway) else None
        health = self._gateway._health if self._gateway is not None else None
        self.recovery = Recovery(
            journal,
            self._reset_epoch,
            wait=wait,
            # Attempts to catch up follow the backend's own probe schedule.
            retry_after=health.retry_after if health is not None else 1.0,
            clock=health.clock if health is not None else time.monotonic,
        )
        """The blocked state and the journal of lost bumps."""
        self.watched: set[str] | None = None if watched is None else set(watched)
        """Entities whose writes bump counters (``None``: every entity)."""
        self._rows: set[str] = set()
        """Watched entities whose rows are cached one by one (the others only in lists)."""
        self.counter_ttl = counter_ttl
        self._ttl_fixed = False
        self._last_events: tuple[MutationEvent, ...] | None = None
        self._routes: dict[CacheGateway, Route] = {}
        self._digests = Digests()

    @property
    def invalidation_pending(self) -> bool:
        """Whether this process serves nothing from the cache until it caught up on lost
        invalidations (its counter backend failed)."""
        return self.recovery.blocked

    # Configuration, from the cached repositories.

    def watch(self, entities: Iterable[str], *, rows: bool = False) -> None:
        """Add entities some cached read depends on (no effect when every entity is watched).

        Args:
            entities: Entity names.
            rows: Whether their rows are cached by id (a cached repository's own entity), so
                writes bump per-row counters too; entities read only through other models'
                profiles need their entity and list counters alone.
        """
        if self.watched is not None:
            self.watched.update(entities)
            if rows:
                self._rows.update(entities)

    def require_ttl(self, seconds: int | None) -> None:
        """Make counters live at least ``seconds`` (``None``: entries that never expire, so
        counters never expire either)."""
        if seconds is None:
            self._ttl_fixed = True
            self.counter_ttl = None
        elif not self._ttl_fixed:
            self.counter_ttl = max(self.counter_ttl or 0, seconds)

    # Tags.

    def entity_tags(self, entity: str, entity_id: object | None) -> list[str]:
        """Tags of a single-entity lookup: the entity tag and, with an id, the id tag.

        Args:
            entity: Normalized entity name.
            entity_id: Primary key, or ``None``.

        Returns:
            Tag names.
        """
        if entity_id is None:
            return [entity]
        return [entity, f"{entity}:id:{entity_id}"]

    def list_tags(self, entity: str, filter_fingerprint: str) -> list[str]:
        """Tags of a list query: the entity tag and the list tag.

        Every list of an entity depends on the same list tag whatever its filters (a write may
        move a row into or out of any filter); ``filter_fingerprint`` only selects the key.

        Args:
            entity: Normalized entity name.
            filter_fingerprint: Hash of the query (unused for tags).

        Returns:
            Tag names.
        """
        return [entity, f"{entity}:list"]

    def event_tags(self, event: MutationEvent) -> set[str]:
        """The tags one committed write invalidates (none for an entity no read depends on)."""
        entity = event.entity
        if self.watched is not None:
            if entity not in self.watched:
                return set()
            if entity not in self._rows:
                # Read only as another model's relation or projection: through its list tag.
                if event.op == "deleted" or not event.ids:
                    return {entity, f"{entity}:list"}
                return {f"{entity}:list"}
        if event.op == "deleted" or not event.ids:
            # Deletes may cascade inside the database; without ids we cannot be precise.
            return {entity, f"{entity}:list"}
        tags = {f"{entity}:id:{obj_id}" for obj_id in event.ids}
        tags.add(f"{entity}:list")
        return tags

    # Invalidation.

    async def on_transaction_committed(self, events: tuple[MutationEvent, ...]) -> None:
        """Post-commit hook: :meth:`bump_from_events`."""
        await self.bump_from_events(events)

    async def bump_from_events(self, events: tuple[MutationEvent, ...]) -> None:
        """Increment the counters of every tag the events touched; never raises.

        A bump that cannot be delivered is recorded in the journal and blocks this process's
        cached reads until it is applied (see :class:`~loom.core.cache._recovery.Recovery`).

        Args:
            events: The events of one committed transaction.
        """
        if not events or events is self._last_events:
            # Several hooks sharing this resolver receive the same tuple: bump once.
            return
        self._last_events = events
        tags: set[str] = set()
        for event in events:
            tags |= self.event_tags(event)
        if not tags:
            return
        keys = sorted(TAG_PREFIX + tag for tag in tags)
        recovery = self.recovery
        if recovery.blocked:
            await recovery.unblock()
        if not await self._bump(keys):
            await recovery.lost(sorted(tags))

    async def _bump(self, keys: list[str]) -> bool:
        ttl = self.counter_ttl
        if self._gateway is not None:
            gateway = self._gateway
            full = [gateway._full_key(k) for k in keys]
            done = await gateway._call(
                lambda: gateway._driver.bump(full, initial_counter, ttl), "bump", True
            )
            return bool(done)
        try:
            for key in keys:
                if await self.cache.incr(key) == 1:
                    await self.cache.set_value(key, initial_counter(), ttl)
        except Exception as exc:
            logger.warning("cache counter backend failed to bump %s: %r", keys, exc)
            return False
        return True

    async def apply_pending(self) -> None:
        """Apply the invalidations other processes recorded while they could not reach the
        counters (the kernel polls this; a no-op without a journal)."""
        await self.recovery.apply_pending()

    async def _reset_epoch(self) -> bool:
        """Replace the epoch token (invalidating everything); ``True`` once it succeeded."""
        if self._gateway is not None:
            gateway = self._gateway
            ok = await gateway._write([(gateway._full_key(EPOCH_KEY), new_epoch())], None)
        else:
            try:
                await self.cache.set_value(EPOCH_KEY, new_epoch())
                ok = True
            except Exception:
                ok = False
        return ok

    # Fingerprints.

    async def fingerprint(self, tags: list[str]) -> str:
        """The fingerprint of the current generations of ``tags`` (and the epoch).

        Args:
            tags: Tag names.

        Returns:
            A hex digest.

        Raises:
            CacheError: When the counter backend is unavailable or this process must catch up
                on lost invalidations first and cannot.
        """
        recovery = self.recovery
        if recovery.blocked and not await recovery.unblock():
            raise CacheError("cache invalidation pending and the counter backend is unavailable")
        keys = [EPOCH_KEY, *(TAG_PREFIX + t for t in tags)]
        if self._gateway is not None:
            gateway = self._gateway
            full = [gateway._full_key(k) for k in keys]
            raw = await gateway._read(full, "fingerprint")
            fp = None if raw is None else self._digests.of(raw)
            if fp is None and raw is not None:
                fp = await self._repair(full, raw)
        else:
            fp = await self._generic_fingerprint(keys)
        if fp is None:
            recovery.saw_failure()
            raise CacheError(f"cache counter backend unavailable; no fingerprint for {tags}")
        return fp.decode()

    def _route(self, data: CacheGateway) -> Route:
        route = self._routes.get(data)
        if route is None:
            assert self._gateway is not None
            route = self._routes[data] = Route(self._gateway, data)
        return route

    async def fingerprint_and_get(
        self, tags: list[str], data: CacheBackend, key: str
    ) -> tuple[bytes, Any] | None:
        """The fingerprint of ``tags`` and the raw value under ``key``, in one round trip when
        the data and counter backends share a server.

        Args:
            tags: Tag names.
            data: The data backend.
            key: The value's key.

        Returns:
            ``(fingerprint as ASCII bytes, raw value or None)``, or ``None`` when the cache
            cannot be used now (unavailable, or lost invalidations not caught up on).
        """
        counters = self._gateway
        if counters is None or not isinstance(data, CacheGateway):
            try:
                fp = await self.fingerprint(tags)
            except CacheError:
                return None
            return fp.encode(), await data.get_value(key)
        recovery = self.recovery
        if recovery.blocked and not await recovery.unblock():
            return None
        route = self._routes.get(data) or self._route(data)
        prefix = route.tag_prefix
        if prefix is None:
            full = [route.epoch_key, *[counters._full_key(TAG_PREFIX + t) for t in tags]]
        else:
            full = [route.epoch_key, *[prefix + t for t in tags]]
        value_key = data._full_key(key) if route.value_prefix is None else route.value_prefix + key
        if route.data_now and route.joint:
            full.append(value_key)
            raw = data._read_now(full, "get")
            full.pop()
            if raw is None:
                recovery.saw_failure()
                return None
            value = raw.pop()
        elif route.joint:
            # CacheGateway._read inlined: the hit path of a shared Redis awaits the client's
            # command directly, without two more frames to resume when the reply arrives.
            health = data._health
            if not health.allow():
                recovery.saw_failure()
                return None
            try:
                raw = await data._driver.mget([*full, value_key])
            except Exception as exc:
                health.failed(exc, "get")
                recovery.saw_failure()
                return None
            health.succeeded()
            value = raw.pop()
        else:
            if route.counters_now:
                raw = counters._read_now(full, "fingerprint")
            else:
                raw = await counters._read(full, "fingerprint")
            if raw is None:
                recovery.saw_failure()
                return None
            keys = [value_key]
            got = data._read_now(keys, "get") if route.data_now else await data._read(keys, "get")
            if got is None:
                return None
            value = got[0]
        digest = self._digests.of(raw)
        if digest is not None:
            return digest, value
        repaired = await self._repair(full, raw)
        # Nothing stored can match counters that were just created: a miss.
        return None if repaired is None else (repaired, None)

    async def store(
        self, tags: Sequence[str], data: CacheGateway, key: str, envelope: bytes, ttl: int
    ) -> None:
        """Store a value that depends on ``tags`` and extend their counters' lives to
        :attr:`counter_ttl`, in one round trip when both live on one server.

        Args:
            tags: The value's tags.
            data: The data backend.
            key: The value's key.
            envelope: The sealed value.
            ttl: The value's TTL in seconds.
        """
        pairs = [(data._full_key(key), envelope)]
        counters = self._gateway
        counter_ttl = self.counter_ttl
        if counters is None or not counter_ttl:
            await data._write(pairs, ttl)
            return
        touch = [counters._full_key(TAG_PREFIX + t) for t in tags]
        if self._route(data).joint:
            await data._call(
                lambda: data._driver.store(pairs, ttl, touch, counter_ttl), "set", True
            )
            return
        await data._write(pairs, ttl)
        await counters._call(
            lambda: counters._driver.store((), None, touch, counter_ttl), "touch counters", True
        )

    async def _repair(self, full: list[str], raw: Sequence[Any]) -> bytes | None:
        """Create missing counters (at random starts) and the epoch, replace foreign values,
        and read the counters again."""
        gateway = self._gateway
        assert gateway is not None
        ttl = self.counter_ttl
        missing: list[tuple[str, Any, int | None]] = []
        foreign: list[tuple[str, Any]] = []
        for index, (key, value) in enumerate(zip(full, raw, strict=False)):
            fresh = new_epoch() if index == 0 else initial_counter()
            part = canonical(value)
            if part is None and value is None:
                missing.append((key, fresh, None if index == 0 else ttl))
            elif part is None or (index and not part.isdigit()):
                foreign.append((key, fresh))
        if missing and not await gateway._call(
            lambda: gateway._driver.add_many(missing), "create counters", True
        ):
            self.recovery.saw_failure()
            return None
        if foreign:
            logger.warning("cache counters held foreign values and were reset: %s", foreign)
            if not await gateway._write(foreign, None):
                self.recovery.saw_failure()
                return None
        again = await gateway._read(full, "fingerprint")
        if again is None:
            self.recovery.saw_failure()
            return None
        return self._digests.of(again)

    async def _generic_fingerprint(self, keys: list[str]) -> bytes | None:
        try:
            values = await self.cache.multi_get_values(keys)
            for index, value in enumerate(values):
                if canonical(value) is None:
                    fresh = new_epoch() if index == 0 else initial_counter()
                    await self.cache.set_value(
                        keys[index], fresh, None if index == 0 else self.counter_ttl
                    )
                    values[index] = fresh
        except Exception as exc:
            logger.warning("cache counter backend failed to read %s: %r", keys, exc)
            return None
        return self._digests.of(values)
