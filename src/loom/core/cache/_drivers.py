"""Raw storage operations over an aiocache instance, without its serializer.

The gateway stores envelopes and counters as raw values and reads several keys (counters of
one backend, a value of another) in one round trip when both live on the same server. Each
driver takes fully built keys (namespace included).

Redis is reached through aiocache's ``RedisCache.client`` (a ``redis.asyncio`` client), never
by importing ``redis``. Imports aiocache and the standard library only.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Hashable, Sequence
from typing import Any, Protocol

from loom.core.cache._memory import BoundedMemoryCache


def _identity(value: Any) -> Any:
    return value


async def _nothing() -> list[Any]:
    return []


class _Keys:
    """Full keys of one aiocache instance, computed without a call per key when it uses
    aiocache's own key builder (a fixed namespace prefix)."""

    def __init__(self, cache: Any) -> None:
        self._cache: Any = cache
        default = cache.build_key == cache._build_key
        self.prefix: str | None = str(cache.build_key("")) if default else None

    def full_key(self, key: str) -> str:
        if self.prefix is not None:
            return self.prefix + key
        return str(self._cache.build_key(key))


class Driver(Protocol):
    """Raw key-value operations on fully built keys."""

    server: Hashable
    """Identity of the storage: drivers with equal ``server`` can read each other's keys."""
    prefix: str | None
    """What :meth:`full_key` puts before every key, or ``None`` when a custom key builder
    decides (callers may then build full keys by concatenation)."""

    def full_key(self, key: str) -> str:
        """The key as stored (namespace applied)."""
        ...

    async def mget(self, keys: Sequence[str]) -> list[Any]:
        """Raw values of ``keys`` in order, ``None`` for missing ones; one round trip."""
        ...

    async def set_many(self, pairs: Sequence[tuple[str, Any]], ttl: int | None) -> None:
        """Store raw values, each with ``ttl`` seconds of life (``None``: no expiry)."""
        ...

    async def add_many(self, items: Sequence[tuple[str, Any, int | None]]) -> None:
        """Store each ``(key, value, ttl)`` only where its key holds nothing (``SET NX``)."""
        ...

    async def incr(self, key: str, delta: int) -> int:
        """Atomically add ``delta``; return the new value."""
        ...

    async def bump(self, keys: Sequence[str], initial: Callable[[], int], ttl: int | None) -> None:
        """Increment counters, starting a missing one at ``initial()`` rather than zero, and
        give each ``ttl`` seconds of life from now (``None``: no expiry)."""
        ...

    async def store(
        self,
        pairs: Sequence[tuple[str, Any]],
        ttl: int | None,
        touch: Sequence[str],
        touch_ttl: int | None,
    ) -> None:
        """:meth:`set_many`, and extend the life of the keys in ``touch`` to ``touch_ttl``
        seconds, in one round trip (``touch_ttl`` ``None``: leave them as they are)."""
        ...

    async def exists(self, key: str) -> bool:
        """Whether ``key`` holds a value."""
        ...

    async def delete_many(self, keys: Sequence[str]) -> int:
        """Delete keys; return how many existed."""
        ...

    async def clear(self) -> None:
        """Delete every key of this cache's namespace (everything without one)."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


class RedisDriver(_Keys):
    """Driver over ``aiocache.RedisCache``: MGET, pipelines and INCR on its client."""

    def __init__(self, cache: Any) -> None:
        super().__init__(cache)
        self._client = cache.client
        self.server: Hashable = ("redis", cache.endpoint, cache.port, cache.db)

    def mget(self, keys: Sequence[str]) -> Coroutine[Any, Any, list[Any]]:
        # The client's own coroutine, not one wrapping it: every hit awaits this, and each
        # frame in the chain is entered twice (the call, and the resume after the reply).
        # The command itself, as the client's mget() would only re-pack the arguments.
        if not keys:
            return _nothing()
        result: Coroutine[Any, Any, list[Any]] = self._client.execute_command("MGET", *keys)
        return result

    async def set_many(self, pairs: Sequence[tuple[str, Any]], ttl: int | None) -> None:
        if len(pairs) == 1:
            key, value = pairs[0]
            await self._client.set(key, value, ex=ttl or None)
            return
        async with self._client.pipeline(transaction=False) as pipe:
            for key, value in pairs:
                pipe.set(key, value, ex=ttl or None)
            await pipe.execute()

    async def add_many(self, items: Sequence[tuple[str, Any, int | None]]) -> None:
        async with self._client.pipeline(transaction=False) as pipe:
            for key, value, ttl in items:
                pipe.set(key, value, nx=True, ex=ttl or None)
            await pipe.execute()

    async def incr(self, key: str, delta: int) -> int:
        return int(await self._client.incrby(key, delta))

    async def bump(self, keys: Sequence[str], initial: Callable[[], int], ttl: int | None) -> None:
        # MULTI so no reader sees a counter between its random start and the increment.
        async with self._client.pipeline(transaction=True) as pipe:
            for key in keys:
                pipe.set(key, initial(), nx=True)
                pipe.incr(key)
                if ttl:
                    pipe.expire(key, ttl)
            await pipe.execute()

    async def store(
        self,
        pairs: Sequence[tuple[str, Any]],
        ttl: int | None,
        touch: Sequence[str],
        touch_ttl: int | None,
    ) -> None:
        if not touch_ttl or not touch:
            await self.set_many(pairs, ttl)
            return
        async with self._client.pipeline(transaction=False) as pipe:
            for key, value in pairs:
                pipe.set(key, value, ex=ttl or None)
            for key in touch:
                pipe.expire(key, touch_ttl)
            await pipe.execute()

    async def exists(self, key: str) -> bool:
        return bool(await self._client.exists(key))

    async def delete_many(self, keys: Sequence[str]) -> int:
        if not keys:
            return 0
        return int(await self._client.delete(*keys))

    async def clear(self) -> None:
        namespace = self._cache.namespace
        if not namespace:
            # No namespace means the cache owns the whole database, as in aiocache.
            await self._client.flushdb()
            return
        batch: list[Any] = []
        async for key in self._client.scan_iter(match=f"{namespace}:*", count=500):
            batch.append(key)
            if len(batch) >= 500:
                await self._client.delete(*batch)
                batch.clear()
        if batch:
            await self._client.delete(*batch)

    async def close(self) -> None:
        # aiocache's close() calls the client's deprecated close(); aclose() is the successor.
        await self._client.aclose()


class LocalDriver(_Keys):
    """Driver over :class:`BoundedMemoryCache`: direct calls, no awaits in between."""

    def __init__(self, cache: BoundedMemoryCache) -> None:
        super().__init__(cache)
        self._cache: BoundedMemoryCache = cache
        self.server: Hashable = ("local", id(cache))

    async def mget(self, keys: Sequence[str]) -> list[Any]:
        return self._cache.get_many_now(keys)

    def mget_now(self, keys: Sequence[str]) -> list[Any]:
        """:meth:`mget` without a coroutine: the memory backend never waits."""
        return self._cache.get_many_now(keys)

    async def set_many(self, pairs: Sequence[tuple[str, Any]], ttl: int | None) -> None:
        for key, value in pairs:
            self._cache.set_now(key, value, ttl)

    async def add_many(self, items: Sequence[tuple[str, Any, int | None]]) -> None:
        for key, value, ttl in items:
            self._cache.add_now(key, value, ttl)

    async def incr(self, key: str, delta: int) -> int:
        return self._cache.incr_now(key, delta)

    async def bump(self, keys: Sequence[str], initial: Callable[[], int], ttl: int | None) -> None:
        for key in keys:
            self._cache.add_now(key, initial())
            self._cache.incr_now(key, 1)
            if ttl:
                self._cache.touch_now(key, ttl)

    async def store(
        self,
        pairs: Sequence[tuple[str, Any]],
        ttl: int | None,
        touch: Sequence[str],
        touch_ttl: int | None,
    ) -> None:
        for key, value in pairs:
            self._cache.set_now(key, value, ttl)
        if touch_ttl:
            for key in touch:
                self._cache.touch_now(key, touch_ttl)

    async def exists(self, key: str) -> bool:
        return self._cache.get_now(key) is not None

    async def delete_many(self, keys: Sequence[str]) -> int:
        return sum(self._cache.delete_now(key) for key in keys)

    async def clear(self) -> None:
        self._cache.clear_now(self._cache.namespace)

    async def close(self) -> None:
        return None


class AiocacheDriver(_Keys):
    """Driver over any other aiocache backend, through its public API (no serializer)."""

    def __init__(self, cache: Any) -> None:
        super().__init__(cache)
        self.server: Hashable = ("aiocache", id(cache))

    async def mget(self, keys: Sequence[str]) -> list[Any]:
        # namespace="" keeps aiocache from prefixing keys that are already full.
        return list(await self._cache.multi_get(list(keys), loads_fn=_identity, namespace=""))

    async def set_many(self, pairs: Sequence[tuple[str, Any]], ttl: int | None) -> None:
        for key, value in pairs:
            await self._cache.set(key, value, ttl=ttl, dumps_fn=_identity, namespace="")

    async def add_many(self, items: Sequence[tuple[str, Any, int | None]]) -> None:
        for key, value, ttl in items:
            try:
                await self._cache.add(key, value, ttl=ttl, dumps_fn=_identity, namespace="")
            except ValueError:
                continue  # already present: exactly what SET NX leaves alone

    async def incr(self, key: str, delta: int) -> int:
        return int(await self._cache.increment(key, delta, namespace=""))

    async def bump(self, keys: Sequence[str], initial: Callable[[], int], ttl: int | None) -> None:
        for key in keys:
            if await self._cache.increment(key, 1, namespace="") == 1:
                # The counter was missing (evicted): restart it somewhere never seen before.
                await self._cache.set(key, initial(), dumps_fn=_identity, namespace="")
            if ttl:
                await self._cache.expire(key, ttl, namespace="")

    async def store(
        self,
        pairs: Sequence[tuple[str, Any]],
        ttl: int | None,
        touch: Sequence[str],
        touch_ttl: int | None,
    ) -> None:
        await self.set_many(pairs, ttl)
        if touch_ttl:
            for key in touch:
                await self._cache.expire(key, touch_ttl, namespace="")

    async def exists(self, key: str) -> bool:
        return bool(await self._cache.exists(key, namespace=""))

    async def delete_many(self, keys: Sequence[str]) -> int:
        return sum([int(await self._cache.delete(key, namespace="")) for key in keys])

    async def clear(self) -> None:
        await self._cache.clear()

    async def close(self) -> None:
        await self._cache.close()


def driver_for(cache: Any) -> Driver:
    """The most direct driver for an aiocache instance."""
    if isinstance(cache, BoundedMemoryCache):
        return LocalDriver(cache)
    client = getattr(cache, "client", None)
    if getattr(cache, "NAME", None) == "redis" and hasattr(client, "mget"):
        return RedisDriver(cache)
    return AiocacheDriver(cache)
