"""``CachedRepository``: cache-aside over any repository, invalidated after commit.

Reads by id and list reads are served from the cache when the fingerprint stored with the value
matches the current generation counters of its tags; everything else is forwarded. Inside an
open write transaction reads bypass the cache entirely (the transaction may hold uncommitted
changes). Writes are forwarded; the counters move only after a successful commit: the cached
repository subscribes its resolver to the post-commit channel of the repository it wraps (its
session manager), whoever built it.

Imports msgspec, the standard library and ``loom.core`` (never an adapter library).
"""

from __future__ import annotations

import functools
import inspect
import logging
import math
import time
import typing
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Generic, TypeVar

import msgspec

from loom.core.cache._backend import CacheBackend, CacheStats
from loom.core.cache._config import CacheConfig
from loom.core.cache._dependencies import profile_dependencies, read_entities
from loom.core.cache._envelope import MISS, encode_payload, open_envelope, query_fingerprint, seal
from loom.core.cache._gateway import CacheGateway
from loom.core.cache._markers import QUERY_ATTR, CacheQuery
from loom.core.cache._resolver import DependencyResolver
from loom.core.cache._singleflight import SingleFlight
from loom.core.cache._subscription import subscribe
from loom.core.errors import ConfigError
from loom.core.events import MutationEvent, SupportsPostCommit
from loom.core.model import ModelInfo, model_info
from loom.core.query import (
    CursorResult,
    FilterGroup,
    FilterParams,
    PageParams,
    PageResult,
    PaginationMode,
    QuerySpec,
)
from loom.core.transaction import in_write_transaction

OutputT = TypeVar("OutputT")
CreateT = TypeVar("CreateT")
UpdateT = TypeVar("UpdateT")
IdT = TypeVar("IdT")

logger = logging.getLogger("loom.cache")

_Loaded = tuple[Any, bytes | None]
_Fetched = tuple[bytes, Any]
"""The fingerprint (ASCII hex bytes) of a read's counters and the raw value read with them."""
_UNKNOWN: Any = object()
"""A profile whose dependencies were not worked out yet."""
_RECENT_LOADS = 64
"""Payloads of the latest loads kept per repository, keyed by (key, fingerprint)."""


def _model_of(repository: Any, model: type[Any] | None) -> type[Any]:
    found = model
    for attr in ("model", "_model", "__loom_model__"):
        if found is None:
            found = getattr(repository, attr, None)
    if not isinstance(found, type):
        raise ConfigError(
            f"cannot tell which model {type(repository).__name__} returns; give the repository "
            "a `model` attribute or pass CachedRepository(..., model=Model)"
        )
    return found


class CachedRepository(Generic[OutputT, CreateT, UpdateT, IdT]):
    """Cache-aside wrapper with generational invalidation.

    Building one subscribes ``dependency_resolver`` to the post-commit channel of
    ``repository`` (its session manager): every transaction that channel commits bumps the
    counters of what it wrote, whichever repository wrote it. Share one resolver between the
    cached repositories of a process; the channel keeps one registration per resolver, so
    each commit bumps once.

    Args:
        repository: The repository to wrap (it must expose its model as ``model``, or pass
            ``model=``).
        config: TTLs and the global switch.
        cache: The data backend (a :class:`CacheGateway` reads values and counters in one
            round trip when they share a server).
        dependency_resolver: Tags and generation counters.
        model: The model the repository returns, when it has no ``model`` attribute.
    """

    def __init__(
        self,
        repository: Any,
        *,
        config: CacheConfig,
        cache: CacheBackend,
        dependency_resolver: DependencyResolver,
        model: type[Any] | None = None,
    ) -> None:
        self._repository = repository
        self._config = config
        self._cache = cache
        self._resolver = dependency_resolver
        self._info: ModelInfo = model_info(_model_of(repository, model))
        self._entity = self._info.entity
        self._single_ttl = config.ttl_for_single(self._entity)
        self._list_ttl = config.ttl_for_list(self._entity)
        stats = getattr(cache, "stats", None)
        self.stats: CacheStats = stats if isinstance(stats, CacheStats) else CacheStats()
        """Hits, misses, errors and bypasses (shared with the data gateway)."""
        self._flights: SingleFlight[_Loaded] = SingleFlight()
        self._recent: OrderedDict[tuple[str, bytes], tuple[bytes, float]] = OrderedDict()
        model_type = self._info.model
        self._one_decoder: msgspec.msgpack.Decoder[Any] = msgspec.msgpack.Decoder(model_type | None)
        self._page_decoder: msgspec.msgpack.Decoder[Any] = msgspec.msgpack.Decoder(
            PageResult[model_type]  # type: ignore[valid-type]  # parametrized at run time
        )
        self._cursor_decoder: msgspec.msgpack.Decoder[Any] = msgspec.msgpack.Decoder(
            CursorResult[model_type]  # type: ignore[valid-type]  # parametrized at run time
        )
        self._dependencies: dict[str, list[str] | None] = {}
        self._declared_profiles = frozenset(
            [p for spec in self._info.relations.values() for p in spec.profiles]
            + [p for spec in self._info.projections.values() for p in spec.profiles]
        )
        self._custom: dict[str, Callable[..., Awaitable[Any]]] = {}
        self._joint = getattr(dependency_resolver, "fingerprint_and_get", None)
        self._store = getattr(dependency_resolver, "store", None)
        self._watch = getattr(dependency_resolver, "watch", None)
        if self._watch is not None:
            self._watch([self._entity], rows=True)
            self._watch(read_entities(self._info))
        require_ttl = getattr(dependency_resolver, "require_ttl", None)
        if require_ttl is not None:
            require_ttl(config.counter_ttl)
        hook = dependency_resolver if isinstance(dependency_resolver, SupportsPostCommit) else self
        self._channel = subscribe(repository, hook, self._entity)

    def __repr__(self) -> str:
        return f"CachedRepository({self._repository!r}, entity={self._entity!r})"

    @property
    def entity_name(self) -> str:
        """Normalized name of the cached entity (the model's table name)."""
        return self._entity

    @property
    def repository(self) -> Any:
        """The wrapped repository."""
        return self._repository

    # Cached reads.

    async def get_by_id(self, obj_id: IdT, profile: str = "default") -> OutputT | None:
        """Fetch one entity by primary key, from the cache when current.

        Args:
            obj_id: Primary key.
            profile: Loading profile.

        Returns:
            The entity, or ``None`` when it does not exist (absence is cached too, and a
            create of that id invalidates it).
        """
        deps = self._dependencies.get(profile, _UNKNOWN)
        if deps is _UNKNOWN:
            deps = self._profile_dependencies(profile)
        if deps is None:
            return await self._repository.get_by_id(obj_id, profile)  # type: ignore[no-any-return]
        tags = self._resolver.entity_tags(self._entity, obj_id)
        if deps:
            tags = [*tags, *deps]  # a new list: the resolver's may be shared
        key = f"loom:v:{self._entity}:{profile}:{obj_id}"
        # _cached written out: the most frequent read resumes one frame fewer per hit.
        if not self._config.enabled or in_write_transaction():
            return await self._repository.get_by_id(obj_id, profile)  # type: ignore[no-any-return]
        fetched = await self._fetch(tags, key)
        value = self._open(fetched, key, self._one_decoder)
        if value is not MISS:
            return value  # type: ignore[no-any-return]
        return await self._fill(  # type: ignore[no-any-return]
            fetched,
            key,
            tags,
            self._one_decoder,
            self._single_ttl,
            lambda: self._repository.get_by_id(obj_id, profile),
        )

    async def list_paginated(
        self,
        page_params: PageParams,
        filter_params: FilterParams | None = None,
        profile: str = "default",
    ) -> PageResult[OutputT]:
        """Fetch one offset page, from the cache when current.

        Args:
            page_params: Page number and size.
            filter_params: Equality filters.
            profile: Loading profile.

        Returns:
            The page.
        """
        load = functools.partial(
            self._repository.list_paginated, page_params, filter_params, profile
        )
        deps = self._profile_dependencies(profile)
        if deps is None:
            return await load()  # type: ignore[no-any-return]
        fp = query_fingerprint("paginated", page_params, filter_params, profile)
        tags = [*self._resolver.list_tags(self._entity, fp), *deps]
        key = f"loom:l:{self._entity}:{fp}"
        return await self._cached(  # type: ignore[no-any-return]
            key, tags, self._page_decoder, self._list_ttl, load
        )

    async def list_with_query(
        self, query: QuerySpec, profile: str = "default"
    ) -> PageResult[OutputT] | CursorResult[OutputT]:
        """Fetch one page of a structured query (offset or cursor), from the cache when current.

        Args:
            query: The query.
            profile: Loading profile.

        Returns:
            A :class:`PageResult` for offset queries, a :class:`CursorResult` for cursor ones.
        """
        load = functools.partial(self._repository.list_with_query, query, profile)
        deps = self._profile_dependencies(profile)
        if deps is None:
            return await load()  # type: ignore[no-any-return]
        fp = query_fingerprint("query", query, profile)
        tags = [*self._resolver.list_tags(self._entity, fp), *deps]
        decoder = (
            self._cursor_decoder
            if query.pagination == PaginationMode.CURSOR
            else self._page_decoder
        )
        key = f"loom:l:{self._entity}:{fp}"
        return await self._cached(  # type: ignore[no-any-return]
            key, tags, decoder, self._list_ttl, load
        )

    # Uncached reads: lookups by arbitrary (mutable) fields would widen what a write must
    # invalidate; they stay on the database until that policy is designed.

    async def get_by(self, field: str, value: Any, profile: str = "default") -> OutputT | None:
        """Fetch one entity by a field; not cached."""
        return await self._repository.get_by(field, value, profile)  # type: ignore[no-any-return]

    async def exists_by(self, field: str, value: Any) -> bool:
        """Whether an entity with this field value exists; not cached."""
        return bool(await self._repository.exists_by(field, value))

    async def count(self, filters: FilterGroup | Mapping[str, Any] | None = None) -> int:
        """Count entities; not cached."""
        return int(await self._repository.count(filters))

    # Writes: forwarded. Invalidation follows the commit (on_transaction_committed).

    async def create(self, data: CreateT) -> OutputT:
        """Persist a new entity."""
        return await self._repository.create(data)  # type: ignore[no-any-return]

    async def create_many(self, items: Sequence[CreateT]) -> list[OutputT]:
        """Persist several entities."""
        return await self._repository.create_many(items)  # type: ignore[no-any-return]

    async def update(self, obj_id: IdT, data: UpdateT) -> OutputT | None:
        """Apply a partial update; ``None`` when the entity does not exist."""
        return await self._repository.update(obj_id, data)  # type: ignore[no-any-return]

    async def upsert(self, data: CreateT, *, conflict_on: Sequence[str] | None = None) -> OutputT:
        """Insert, or update the entity with the same ``conflict_on`` values."""
        return await self._repository.upsert(data, conflict_on=conflict_on)  # type: ignore[no-any-return]

    async def delete(self, obj_id: IdT) -> bool:
        """Delete an entity; ``False`` when it did not exist."""
        return bool(await self._repository.delete(obj_id))

    async def on_transaction_committed(self, events: tuple[MutationEvent, ...]) -> None:
        """Post-commit hook: advance the generations of every tag the events touched."""
        await self._resolver.bump_from_events(events)

    def __getattr__(self, name: str) -> Any:
        # Only reached for names this class does not define: custom repository methods.
        if name.startswith("__"):
            raise AttributeError(name)
        attr = getattr(self._repository, name)
        marker = getattr(attr, QUERY_ATTR, None)
        if not isinstance(marker, CacheQuery) or not inspect.iscoroutinefunction(attr):
            return attr
        wrapper = self._custom.get(name)
        if wrapper is None:
            wrapper = self._custom_query(name, attr, marker)
            self._custom[name] = wrapper
        return wrapper

    # Internals.

    def _custom_query(
        self, name: str, method: Callable[..., Awaitable[Any]], marker: CacheQuery
    ) -> Callable[..., Awaitable[Any]]:
        func = getattr(method, "__func__", method)
        try:
            result_type = typing.get_type_hints(func).get("return", Any)
        except Exception as exc:
            logger.warning(
                "cache_query %s.%s: cannot resolve its return annotation (%s); calls are not "
                "cached -- annotate the return type with importable names",
                type(self._repository).__name__,
                name,
                exc,
            )
            return method
        decoder: msgspec.msgpack.Decoder[Any] = msgspec.msgpack.Decoder(result_type)
        ttl_entity = marker.ttl_key or self._entity
        ttl = (
            self._config.ttl_for_list(ttl_entity)
            if marker.scope == "list"
            else self._config.ttl_for_single(ttl_entity)
        )

        async def call(*args: Any, **kwargs: Any) -> Any:
            deps = self._profile_dependencies(str(kwargs.get("profile", "default")))
            try:
                fp = query_fingerprint(name, args, kwargs)
            except TypeError:
                deps = None
            if deps is None:
                return await method(*args, **kwargs)
            tags = [*self._resolver.list_tags(self._entity, fp), *deps]
            key = f"loom:q:{self._entity}:{name}:{fp}"
            return await self._cached(key, tags, decoder, ttl, lambda: method(*args, **kwargs))

        call.__name__ = name
        call.__doc__ = method.__doc__
        return call

    async def _cached(
        self,
        key: str,
        tags: list[str],
        decoder: msgspec.msgpack.Decoder[Any],
        ttl: int,
        load: Callable[[], Awaitable[Any]],
    ) -> Any:
        if not self._config.enabled or in_write_transaction():
            return await load()
        fetched = await self._fetch(tags, key)
        value = self._open(fetched, key, decoder)
        if value is not MISS:
            return value
        return await self._fill(fetched, key, tags, decoder, ttl, load)

    def _fetch(self, tags: list[str], key: str) -> Awaitable[_Fetched | None]:
        """The fingerprint of ``tags`` and the raw value under ``key``, ``None`` when the cache
        cannot be used now; the resolver's own coroutine when it reads both at once."""
        if self._joint is not None:
            return self._joint(tags, self._cache, key)  # type: ignore[no-any-return]
        return self._fetch_apart(tags, key)

    def _open(
        self, fetched: _Fetched | None, key: str, decoder: msgspec.msgpack.Decoder[Any]
    ) -> Any:
        """The value of a hit (counted), or :data:`MISS`."""
        if fetched is None:
            return MISS
        fingerprint, raw = fetched
        if raw is not None:
            value = open_envelope(raw, fingerprint, decoder)
            if value is not MISS:
                self.stats.hits += 1
                return value
        recent = self._recent.get((key, fingerprint))
        if recent is None:
            return MISS
        payload, expires = recent
        if expires <= time.monotonic():
            # The entry it stored has expired too: its TTL bounds how long a value may live.
            del self._recent[(key, fingerprint)]
            return MISS
        # A load for these very counters finished after our read was answered (its flight is
        # gone): as valid as the entry it stored.
        self.stats.hits += 1
        return decoder.decode(payload)

    async def _fill(
        self,
        fetched: _Fetched | None,
        key: str,
        tags: list[str],
        decoder: msgspec.msgpack.Decoder[Any],
        ttl: int,
        load: Callable[[], Awaitable[Any]],
    ) -> Any:
        """Load what :meth:`_open` did not find; store it when the cache is usable."""
        if fetched is None:
            self.stats.bypassed += 1
            return await load()
        fingerprint = fetched[0]
        self.stats.misses += 1
        # The fingerprint is part of the flight key: a reader that saw newer counters (a write
        # committed meanwhile) must not share a load that may predate that commit.
        (value, payload), led = await self._flights.run(
            (key, fingerprint), lambda: self._load_and_store(key, tags, fingerprint, ttl, load)
        )
        if led or payload is None:
            return value
        # Followers decode their own copy: Structs are mutable and callers may change them.
        return decoder.decode(payload)

    async def _fetch_apart(self, tags: list[str], key: str) -> _Fetched | None:
        """Fingerprint and value through the resolver's and the backend's protocols."""
        try:
            fingerprint = await self._resolver.fingerprint(tags)
            return fingerprint.encode(), await self._cache.get_value(key)
        except Exception as exc:
            self.stats.errors += 1
            logger.warning("cache read of %r failed; reading the repository: %r", key, exc)
            return None

    async def _load_and_store(
        self,
        key: str,
        tags: list[str],
        fingerprint: bytes,
        ttl: int,
        load: Callable[[], Awaitable[Any]],
    ) -> _Loaded:
        value = await load()
        try:
            payload = encode_payload(value)
        except (TypeError, msgspec.EncodeError) as exc:
            logger.warning("cache: result under %r cannot be encoded, not cached: %r", key, exc)
            return value, None
        envelope = seal(fingerprint, payload)
        ttl = self._config.jittered(ttl)
        # Remembered before the flight ends, so a reader whose miss raced this load finds it;
        # no longer than the entry it stores lives.
        self._recent[(key, fingerprint)] = (payload, time.monotonic() + (ttl or math.inf))
        while len(self._recent) > _RECENT_LOADS:
            self._recent.popitem(last=False)
        if isinstance(self._cache, CacheGateway):
            if self._store is not None:
                # The value and its counters' lives in one round trip: a counter never expires
                # before an entry that depends on it.
                await self._store(tags, self._cache, key, envelope, ttl)
            else:
                await self._cache._write([(self._cache._full_key(key), envelope)], ttl)
        else:
            try:
                await self._cache.set_value(key, envelope, ttl)
            except Exception as exc:
                self.stats.errors += 1
                logger.warning("cache write of %r failed: %r", key, exc)
        return value, payload

    def _profile_dependencies(self, profile: str) -> list[str] | None:
        deps: list[str] | None = self._dependencies.get(profile, _UNKNOWN)
        if deps is _UNKNOWN:
            deps = profile_dependencies(self._info, self._resolver, profile)
            if deps and self._watch is not None:
                self._watch(tag for tag in deps if ":" not in tag)
            # Profile names come from clients (a query parameter): remember only those the
            # model declares, so the memo stays bounded.
            if profile == "default" or profile in self._declared_profiles:
                self._dependencies[profile] = deps
        return deps
