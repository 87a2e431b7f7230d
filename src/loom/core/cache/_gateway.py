"""``CacheGateway``: the facade over one aiocache backend.

A gateway configured with :class:`MsgspecSerializer` is a *data* gateway (values are msgpack);
any other is a *counter* gateway (raw integers, native atomic increment). Every backend failure
is absorbed here: reads become misses, writes are skipped, and the backend's :class:`Health`
decides when to try again -- callers of the cache never see a connection error.

Imports aiocache, msgspec, the standard library and ``loom.core``; never ``redis`` (the Redis
client is reached through ``RedisCache.client``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar, overload

import msgspec
from aiocache import caches

from loom.core.cache._backend import CacheStats
from loom.core.cache._config import CacheConfig
from loom.core.cache._drivers import Driver, LocalDriver, driver_for
from loom.core.cache._factory import build_cache, default_entry, normalize_entry
from loom.core.cache._health import Health
from loom.core.cache.serializer import MsgspecSerializer
from loom.core.errors import CacheError, ConfigError

T = TypeVar("T")

logger = logging.getLogger("loom.cache")


class CacheGateway:
    """Facade over one aiocache backend, in data mode or counter mode.

    Args:
        alias: Alias in aiocache's process-wide registry (``aiocache.caches``) to take the
            backend from, when ``backend`` is not given. Also the name used in logs.
        backend: An aiocache cache instance this gateway owns; bypasses the global registry
            (what a kernel uses, see :meth:`from_config`).
        retry_after: Seconds between probes of a backend that stopped answering.
        clock: Monotonic clock for the probe schedule (injectable for tests).

    Example:
        >>> data = CacheGateway.from_config(CacheConfig())
        >>> data.counter_mode
        False
    """

    def __init__(
        self,
        *,
        alias: str = "default",
        backend: Any = None,
        retry_after: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.alias = alias
        self.backend: Any = caches.get(alias) if backend is None else backend
        self.stats = CacheStats()
        self.counter_mode = not isinstance(self.backend.serializer, MsgspecSerializer)
        """``True`` without :class:`MsgspecSerializer`: :meth:`incr` uses native INCR."""
        self._serializer: Any = self.backend.serializer
        self._driver: Driver = driver_for(self.backend)
        self._prefix: str | None = self._driver.prefix
        """Prefix of every full key, or ``None`` when a custom key builder decides."""
        self._local: LocalDriver | None = (
            self._driver if isinstance(self._driver, LocalDriver) else None
        )
        """The driver when it is in-process: :meth:`_read_now` reads without awaiting."""
        self._health = Health(alias, self.stats, retry_after=retry_after, clock=clock)

    @property
    def shared(self) -> bool:
        """Whether other processes can reach this backend (Redis), unlike in-process memory."""
        return self._local is None

    @property
    def degraded(self) -> bool:
        """Whether the backend is failing and reads are going to the database."""
        return self._health.down

    def __repr__(self) -> str:
        mode = "counter" if self.counter_mode else "data"
        return f"CacheGateway(alias={self.alias!r}, mode={mode}, backend={self.backend!r})"

    # Construction.

    @classmethod
    def from_config(
        cls,
        config: CacheConfig,
        alias: str | None = None,
        *,
        retry_after: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> CacheGateway:
        """Build a gateway with its own backend from a config, without the global registry.

        Args:
            config: The cache config.
            alias: Which entry of ``config.aiocache_config`` (default: the data alias). With
                no entries at all, a bounded in-process cache is built.
            retry_after: Seconds between probes of a backend that stopped answering.
            clock: Monotonic clock for the probe schedule.

        Returns:
            A gateway whose backend no other gateway shares.

        Raises:
            ConfigError: When ``alias`` has no entry or the entry cannot be built.
        """
        name = alias or config.aiocache_alias
        entry = config.aiocache_config.get(name)
        if entry is None:
            if config.aiocache_config:
                raise ConfigError(
                    f"cache alias {name!r} has no entry under cache.aiocache; "
                    f"configured aliases: {', '.join(sorted(config.aiocache_config))}"
                )
            entry = default_entry()
        if not isinstance(entry, Mapping):
            raise ConfigError(f"cache.aiocache.{name} must be a mapping, got {entry!r}")
        backend = build_cache(entry, config.max_size)
        return cls(alias=name, backend=backend, retry_after=retry_after, clock=clock)

    @classmethod
    def pair_from_config(
        cls,
        config: CacheConfig,
        *,
        retry_after: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> tuple[CacheGateway, CacheGateway]:
        """Build the data gateway and the counter gateway of a config.

        When both aliases are the same, one gateway (one backend, one connection pool) is
        returned twice.

        Returns:
            ``(data, counters)``.
        """
        data = cls.from_config(config, config.aiocache_alias, retry_after=retry_after, clock=clock)
        if config.effective_counter_alias == config.aiocache_alias:
            return data, data
        counters = cls.from_config(
            config, config.effective_counter_alias, retry_after=retry_after, clock=clock
        )
        return data, counters

    @staticmethod
    def configure(raw_config: Mapping[str, Any]) -> None:
        """Apply a configuration mapping to aiocache's global registry.

        Memory entries become bounded; a missing ``default`` alias keeps aiocache's.

        Args:
            raw_config: Alias-keyed settings, as for ``aiocache.caches.set_config``.
        """
        CacheGateway._set_global(raw_config, None)

    @classmethod
    def apply_config(cls, config: CacheConfig) -> None:
        """Configure aiocache's global registry from a :class:`CacheConfig`.

        Like :meth:`configure`, and injects ``config.max_size`` into memory entries that do
        not declare their own.

        Args:
            config: The cache config.
        """
        raw = dict(config.aiocache_config) or {config.aiocache_alias: default_entry()}
        cls._set_global(raw, config.max_size)

    @staticmethod
    def _set_global(raw_config: Mapping[str, Any], max_size: int | None) -> None:
        settings = {alias: normalize_entry(e, max_size) for alias, e in raw_config.items()}
        if "default" not in settings:
            settings["default"] = caches.get_config()["default"]
        caches.set_config(settings)

    # Public key-value API.

    @overload
    async def get_value(self, key: str, *, type: type[T]) -> T | None: ...
    @overload
    async def get_value(self, key: str, *, type: None = None) -> Any: ...
    async def get_value(self, key: str, *, type: type[T] | None = None) -> T | Any | None:
        """Retrieve a value, optionally converted to ``type``.

        Args:
            key: Cache key.
            type: Target type for ``msgspec.convert``.

        Returns:
            The value, or ``None`` on a miss, on bytes that do not decode, or when the backend
            is unavailable.
        """
        raw = await self._read([self._driver.full_key(key)], "get")
        return None if raw is None else self._load(raw[0], type)

    async def multi_get_values(
        self, keys: list[str], *, type: type[T] | None = None
    ) -> list[T | Any | None]:
        """Retrieve several values in one round trip.

        Args:
            keys: Cache keys.
            type: Target type for ``msgspec.convert`` of each value.

        Returns:
            Values in the order of ``keys``, ``None`` for misses.
        """
        if not keys:
            return []
        raw = await self._read([self._driver.full_key(k) for k in keys], "multi_get")
        if raw is None:
            return [None] * len(keys)
        return [self._load(item, type) for item in raw]

    async def exists(self, key: str) -> bool:
        """Whether ``key`` holds a value (``False`` when the backend is unavailable)."""
        result = await self._call(lambda: self._driver.exists(self._driver.full_key(key)), "exists")
        return bool(result)

    async def set_value(self, key: str, value: Any, ttl: int | None = None) -> None:
        """Store a value; skipped when the backend is unavailable.

        Args:
            key: Cache key.
            value: The value.
            ttl: Seconds to live; ``None`` never expires.
        """
        await self._write([(self._driver.full_key(key), self._serializer.dumps(value))], ttl)

    async def multi_set_values(self, pairs: list[tuple[str, Any]], ttl: int | None = None) -> None:
        """Store several values in one round trip; skipped when the backend is unavailable.

        Args:
            pairs: ``(key, value)`` pairs.
            ttl: Seconds to live for every entry; ``None`` never expires.
        """
        if pairs:
            dumps = self._serializer.dumps
            await self._write([(self._driver.full_key(k), dumps(v)) for k, v in pairs], ttl)

    async def incr(self, key: str, delta: int = 1) -> int:
        """Increment the integer under ``key`` (missing counts as 0).

        Counter mode uses the backend's native atomic increment (Redis ``INCRBY``); data mode
        reads, adds and writes back through the serializer, which is only safe in one process.

        Args:
            key: Cache key holding an integer.
            delta: Amount to add.

        Returns:
            The new value.

        Raises:
            CacheError: When the backend is unavailable or the value is not an integer.
        """
        full = self._driver.full_key(key)
        if not self._health.allow():
            raise CacheError(
                f"cache backend {self.alias!r} is unavailable; increment of {key!r} skipped"
            )
        try:
            if self.counter_mode:
                value = await self._driver.incr(full, delta)
            else:
                current = self._load((await self._driver.mget([full]))[0], None) or 0
                value = int(current) + delta
                await self._driver.set_many([(full, self._serializer.dumps(value))], None)
        except (TypeError, ValueError) as exc:
            raise CacheError(f"cache key {key!r} does not hold an integer: {exc}") from exc
        except Exception as exc:
            self._health.failed(exc, "incr")
            raise CacheError(
                f"cache backend {self.alias!r} failed to increment {key!r}: {exc!r}"
            ) from exc
        self._health.succeeded()
        return value

    async def delete(self, key: str) -> int:
        """Delete ``key``; return 1 if it existed, else 0 (also when unavailable)."""
        return await self.delete_many([key])

    async def delete_many(self, keys: list[str]) -> int:
        """Delete ``keys``; return how many existed (0 when unavailable)."""
        full = [self._driver.full_key(k) for k in keys]
        result = await self._call(lambda: self._driver.delete_many(full), "delete")
        return int(result or 0)

    async def clear(self) -> None:
        """Remove every entry of this backend's namespace (the whole store without one)."""
        await self._call(self._driver.clear, "clear")

    async def close(self) -> None:
        """Release the backend's connections (errors while closing are logged, not raised)."""
        try:
            await self._driver.close()
        except Exception as exc:
            logger.warning("closing cache backend %r failed: %r", self.alias, exc)

    # Raw operations for the cache logic of this package (envelopes and counters).

    def _full_key(self, key: str) -> str:
        return self._driver.full_key(key)

    def _colocated(self, other: CacheGateway) -> bool:
        """Whether one MGET on this gateway can read ``other``'s keys too."""
        return self._driver.server == other._driver.server

    async def _read(self, full_keys: Sequence[str], operation: str) -> list[Any] | None:
        """Raw values of full keys, or ``None`` when the backend is unavailable."""
        if not self._health.allow():
            return None
        try:
            values = await self._driver.mget(full_keys)
        except Exception as exc:
            self._health.failed(exc, operation)
            return None
        self._health.succeeded()
        return values

    def _read_now(self, full_keys: Sequence[str], operation: str) -> list[Any] | None:
        """:meth:`_read` for an in-process backend (``_local`` set), without a coroutine."""
        assert self._local is not None
        if not self._health.allow():
            return None
        try:
            values = self._local.mget_now(full_keys)
        except Exception as exc:
            self._health.failed(exc, operation)
            return None
        self._health.succeeded()
        return values

    async def _write(self, pairs: Sequence[tuple[str, Any]], ttl: int | None) -> bool:
        """Store raw values; ``False`` when the backend is unavailable or failed."""
        return bool(await self._call(lambda: self._driver.set_many(pairs, ttl), "set", True))

    async def _call(self, operation: Callable[[], Any], name: str, success: Any = None) -> Any:
        """Run a driver call with outage handling; ``None`` when unavailable or failed."""
        if not self._health.allow():
            return None
        try:
            result = await operation()
        except Exception as exc:
            self._health.failed(exc, name)
            return None
        self._health.succeeded()
        return result if success is None else success

    def _load(self, raw: Any, type: Any) -> Any:
        """Decode a stored value; anything that does not decode is a miss."""
        if raw is None:
            return None
        try:
            encoding = self._serializer.encoding
            if isinstance(raw, bytes) and encoding:
                raw = raw.decode(encoding)
            value = self._serializer.loads(raw)
            if type is not None and value is not None:
                value = msgspec.convert(value, type)
        except Exception as exc:
            # Foreign or corrupt bytes (another app, an old format): a miss, never an error.
            logger.debug(
                "cache backend %r: undecodable value treated as a miss: %r", self.alias, exc
            )
            return None
        return value
