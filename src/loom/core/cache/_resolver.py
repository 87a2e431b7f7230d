"""Generational invalidation: tags, their counters, and the fingerprint cached values carry.

Every cached value depends on tags: the entity tag (``products``: every row), an id tag
(``products:id:5``: one row) and the list tag (``products:list``: every list). Each tag has a
generation counter; a committed write increments the counters of the tags it touched, and a
value is valid only while the fingerprint of its tags' counters is the one stored with it.

Counters never repeat a value, so an old entry can never become valid again: a counter that is
missing (a fresh, restarted or evicting server) restarts at a random point of a 60-bit range,
and a global epoch token -- read with the counters in the same MGET -- is replaced whenever a
bump could not be delivered.

Imports the standard library and ``loom.core`` only; storage goes through the gateway.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from loom.core.cache._backend import CacheBackend
from loom.core.cache._gateway import CacheGateway
from loom.core.errors import CacheError
from loom.core.events import MutationEvent

logger = logging.getLogger("loom.cache")

EPOCH_KEY = "loom:epoch"
"""Key of the global epoch token, stored beside the counters."""
TAG_PREFIX = "loom:gen:"
"""Prefix of generation-counter keys (``loom:gen:products:list``)."""


def _initial_counter() -> int:
    # Random start: a counter that vanished and restarts cannot reach a generation it had.
    return secrets.randbits(60) + 1


def _new_epoch() -> str:
    return secrets.token_hex(8)


def _canonical(value: Any) -> bytes | None:
    """Counter or epoch as bytes, identical whether read raw (Redis) or as a Python value."""
    if value is None:
        return None
    if isinstance(value, bytes):
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, int | str):
        return str(value).encode()
    return None


_DIGESTS_KEPT = 4096
"""Digests remembered per resolver: counters change rarely, so most reads repeat one."""


def _digest(joined: bytes) -> bytes:
    # Hex as bytes: what envelopes store and compare, with no encode per hit.
    return hashlib.blake2b(joined, digest_size=12).hexdigest().encode()


class _Route:
    """How one data gateway is read together with the counters, worked out once per pair.

    Full keys are built by concatenating fixed prefixes when both gateways use aiocache's own
    key builder; in-process backends are read without a coroutine.
    """

    __slots__ = ("counters_now", "data_now", "epoch_key", "joint", "tag_prefix", "value_prefix")

    def __init__(self, counters: CacheGateway, data: CacheGateway) -> None:
        self.epoch_key = counters._full_key(EPOCH_KEY)
        self.tag_prefix = None if counters._prefix is None else counters._prefix + TAG_PREFIX
        self.value_prefix = data._prefix
        self.joint = data is counters or data._colocated(counters)
        """One read of the data backend answers counters and value together."""
        self.counters_now = counters._local is not None
        self.data_now = data._local is not None


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

    The resolver is also a post-commit hook (``on_transaction_committed``); register it once.

    Args:
        cache: The counter backend (a :class:`CacheGateway` for one-round-trip reads).
    """

    def __init__(self, cache: CacheBackend) -> None:
        self.cache = cache
        self._gateway = cache if isinstance(cache, CacheGateway) else None
        self._pending_epoch = False
        self._last_events: tuple[MutationEvent, ...] | None = None
        self._routes: dict[CacheGateway, _Route] = {}
        self._digests: dict[bytes, bytes] = {}

    @property
    def invalidation_pending(self) -> bool:
        """Whether a bump failed and the epoch must change before any hit is served."""
        return self._pending_epoch

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
        """The tags one committed write invalidates."""
        entity = event.entity
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

        A bump that cannot be delivered marks the epoch for replacement: until that succeeds,
        no cached value is served by this process.

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
        keys = sorted(TAG_PREFIX + tag for tag in tags)
        if self._pending_epoch:
            await self._reset_epoch()
        if self._gateway is not None:
            gateway = self._gateway
            full = [gateway._full_key(k) for k in keys]
            done = await gateway._call(
                lambda: gateway._driver.bump(full, _initial_counter), "bump", True
            )
            if not done:
                self._mark_pending(keys)
            return
        try:
            for key in keys:
                if await self.cache.incr(key) == 1:
                    await self.cache.set_value(key, _initial_counter())
        except Exception as exc:
            logger.warning("cache counter backend failed to bump %s: %r", keys, exc)
            self._mark_pending(keys)

    def _mark_pending(self, keys: Sequence[str]) -> None:
        if not self._pending_epoch:
            logger.warning(
                "cache invalidation of %d tag(s) could not be delivered; this process serves "
                "no cached value until the cache epoch is replaced (retried on the next use)",
                len(keys),
            )
        self._pending_epoch = True

    async def _reset_epoch(self) -> bool:
        """Replace the epoch token (invalidating everything); ``True`` once it succeeded."""
        if self._gateway is not None:
            gateway = self._gateway
            ok = await gateway._write([(gateway._full_key(EPOCH_KEY), _new_epoch())], None)
        else:
            try:
                await self.cache.set_value(EPOCH_KEY, _new_epoch())
                ok = True
            except Exception:
                ok = False
        if ok:
            self._pending_epoch = False
            logger.warning("cache epoch replaced after a lost invalidation; cached values reload")
        return ok

    # Fingerprints.

    async def fingerprint(self, tags: list[str]) -> str:
        """The fingerprint of the current generations of ``tags`` (and the epoch).

        Args:
            tags: Tag names.

        Returns:
            A hex digest.

        Raises:
            CacheError: When the counter backend is unavailable or an invalidation is pending.
        """
        if self._pending_epoch and not await self._reset_epoch():
            raise CacheError("cache invalidation pending and the counter backend is unavailable")
        keys = [EPOCH_KEY, *(TAG_PREFIX + t for t in tags)]
        if self._gateway is not None:
            gateway = self._gateway
            full = [gateway._full_key(k) for k in keys]
            raw = await gateway._read(full, "fingerprint")
            fp = None if raw is None else self._digest_of(raw)
            if fp is None and raw is not None:
                fp = await self._repair(full, raw)
        else:
            fp = await self._generic_fingerprint(keys)
        if fp is None:
            raise CacheError(f"cache counter backend unavailable; no fingerprint for {tags}")
        return fp.decode()

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
            cannot be used now (unavailable, or an invalidation is pending).
        """
        counters = self._gateway
        if counters is None or not isinstance(data, CacheGateway):
            try:
                fp = await self.fingerprint(tags)
            except CacheError:
                return None
            return fp.encode(), await data.get_value(key)
        if self._pending_epoch and not await self._reset_epoch():
            return None
        route = self._routes.get(data)
        if route is None:
            route = self._routes[data] = _Route(counters, data)
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
                return None
            value = raw.pop()
        elif route.joint:
            # CacheGateway._read inlined: the hit path of a shared Redis awaits the client's
            # command directly, without two more frames to resume when the reply arrives.
            health = data._health
            if not health.allow():
                return None
            try:
                raw = await data._driver.mget([*full, value_key])
            except Exception as exc:
                health.failed(exc, "get")
                return None
            health.succeeded()
            value = raw.pop()
        else:
            if route.counters_now:
                raw = counters._read_now(full, "fingerprint")
            else:
                raw = await counters._read(full, "fingerprint")
            if raw is None:
                return None
            keys = [value_key]
            got = data._read_now(keys, "get") if route.data_now else await data._read(keys, "get")
            if got is None:
                return None
            value = got[0]
        digest = self._digest_of(raw)
        if digest is not None:
            return digest, value
        repaired = await self._repair(full, raw)
        # Nothing stored can match counters that were just created: a miss.
        return None if repaired is None else (repaired, None)

    def _digest_of(self, raw: Sequence[Any]) -> bytes | None:
        parts: list[bytes] = []
        for value in raw:
            # Redis answers bytes, the memory backend ints and a str epoch: no conversion call.
            cls = value.__class__
            if cls is bytes:
                part = value
            elif cls is int:
                part = b"%d" % value
            elif cls is str:
                part = value.encode()
            else:
                part = _canonical(value)
            if part is None or (parts and not part.isdigit()):
                return None
            parts.append(part)
        joined = b"\x00".join(parts)
        # A pure function of the counters: remembering it is correct in every process.
        digest = self._digests.get(joined)
        if digest is None:
            if len(self._digests) >= _DIGESTS_KEPT:
                self._digests.clear()
            digest = self._digests[joined] = _digest(joined)
        return digest

    async def _repair(self, full: list[str], raw: Sequence[Any]) -> bytes | None:
        """Create missing counters (at random starts) and the epoch, replace foreign values,
        and read the counters again."""
        gateway = self._gateway
        assert gateway is not None
        missing: list[tuple[str, Any]] = []
        foreign: list[tuple[str, Any]] = []
        for index, (key, value) in enumerate(zip(full, raw, strict=False)):
            fresh = _new_epoch() if index == 0 else _initial_counter()
            part = _canonical(value)
            if part is None and value is None:
                missing.append((key, fresh))
            elif part is None or (index and not part.isdigit()):
                foreign.append((key, fresh))
        if missing and not await gateway._call(
            lambda: gateway._driver.add_many(missing), "create counters", True
        ):
            return None
        if foreign:
            logger.warning("cache counters held foreign values and were reset: %s", foreign)
            if not await gateway._write(foreign, None):
                return None
        again = await gateway._read(full, "fingerprint")
        return None if again is None else self._digest_of(again)

    async def _generic_fingerprint(self, keys: list[str]) -> bytes | None:
        try:
            values = await self.cache.multi_get_values(keys)
            for index, value in enumerate(values):
                if _canonical(value) is None:
                    fresh = _new_epoch() if index == 0 else _initial_counter()
                    await self.cache.set_value(keys[index], fresh)
                    values[index] = fresh
        except Exception as exc:
            logger.warning("cache counter backend failed to read %s: %r", keys, exc)
            return None
        return self._digest_of(values)
