"""A bounded, LRU-evicting in-process aiocache backend.

aiocache 0.12's ``SimpleMemoryCache`` grows without limit and arms one event-loop timer per
key with a TTL. This backend keeps at most ``max_size`` entries (least recently used go first)
and expires entries lazily on access, so it holds no timers bound to an event loop.

Imports aiocache and the standard library only.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import Any

from aiocache import SimpleMemoryCache

DEFAULT_MAX_SIZE = 10_000
"""Entry bound used when neither the backend entry nor ``CacheConfig.max_size`` sets one."""

_Entry = tuple[Any, float | None]


class BoundedMemoryCache(SimpleMemoryCache):  # type: ignore[misc]  # aiocache is untyped
    """``SimpleMemoryCache`` with an entry bound and LRU eviction.

    Args:
        serializer: aiocache serializer (default: none, values are stored as given).
        max_size: Most entries kept; the least recently used is evicted past it.
        **kwargs: Other aiocache options (``namespace``, ``timeout``, ``ttl``, ...).
    """

    NAME = "bounded_memory"

    def __init__(self, serializer: Any = None, max_size: int | None = None, **kwargs: Any) -> None:
        super().__init__(serializer=serializer, **kwargs)
        self.max_size = DEFAULT_MAX_SIZE if max_size is None else int(max_size)
        if self.max_size < 1:
            raise ValueError(f"max_size must be at least 1, got {self.max_size}")
        self._store: OrderedDict[str, _Entry] = OrderedDict()

    def __len__(self) -> int:
        return len(self._store)

    # Synchronous primitives: the gateway calls these directly on the hot path (no awaits,
    # so a read-modify-write such as ``incr`` cannot interleave with another task).

    def get_now(self, key: str) -> Any:
        """Return the live value under ``key`` (marking it recently used), or ``None``."""
        entry = self._store.get(key)
        if entry is None:
            return None
        value, expires = entry
        if expires is not None and expires <= time.monotonic():
            del self._store[key]
            return None
        self._store.move_to_end(key)
        return value

    def get_many_now(self, keys: Iterable[str]) -> list[Any]:
        """:meth:`get_now` for several keys, in order (one clock reading for all of them)."""
        # get_now inlined: this is every cache hit's read of its counters and value.
        store = self._store
        now: float | None = None
        values: list[Any] = []
        for key in keys:
            entry = store.get(key)
            if entry is None:
                values.append(None)
                continue
            value, expires = entry
            if expires is not None:
                if now is None:
                    now = time.monotonic()
                if expires <= now:
                    del store[key]
                    values.append(None)
                    continue
            store.move_to_end(key)
            values.append(value)
        return values

    def set_now(self, key: str, value: Any, ttl: float | None = None) -> None:
        """Store ``value``; ``ttl`` seconds of life (``None`` or 0: until evicted)."""
        expires = time.monotonic() + ttl if ttl else None
        self._store[key] = (value, expires)
        self._store.move_to_end(key)
        while len(self._store) > self.max_size:
            self._store.popitem(last=False)

    def add_now(self, key: str, value: Any, ttl: float | None = None) -> bool:
        """Store ``value`` only if ``key`` holds nothing; return whether it was stored."""
        if self.get_now(key) is not None:
            return False
        self.set_now(key, value, ttl)
        return True

    def incr_now(self, key: str, delta: int = 1) -> int:
        """Add ``delta`` to the integer under ``key`` (0 when missing), keeping its expiry."""
        entry = self._store.get(key)
        current = self.get_now(key)
        if current is None:
            value = delta
            expires = None
        else:
            try:
                value = int(current) + delta
            except (TypeError, ValueError):
                raise TypeError(f"value under {key!r} is not an integer") from None
            expires = entry[1] if entry is not None else None
        self._store[key] = (value, expires)
        self._store.move_to_end(key)
        while len(self._store) > self.max_size:
            self._store.popitem(last=False)
        return value

    def touch_now(self, key: str, ttl: float) -> bool:
        """Give the live value under ``key`` ``ttl`` seconds of life from now; ``False`` when
        there is none."""
        entry = self._store.get(key)
        if entry is None or self.get_now(key) is None:
            return False
        self._store[key] = (entry[0], time.monotonic() + ttl)
        return True

    def delete_now(self, key: str) -> int:
        """Delete ``key``; return 1 if it held a live value, else 0."""
        live = self.get_now(key) is not None
        self._store.pop(key, None)
        return int(live)

    def clear_now(self, prefix: str | None = None) -> None:
        """Delete every entry, or those whose key starts with ``prefix``."""
        if not prefix:
            self._store.clear()
            return
        for key in [k for k in self._store if k.startswith(prefix)]:
            del self._store[key]

    # aiocache's backend interface, so the class also works through ``aiocache.caches``.

    async def _get(self, key: str, encoding: str | None = "utf-8", _conn: Any = None) -> Any:
        return self.get_now(key)

    async def _gets(self, key: str, encoding: str | None = "utf-8", _conn: Any = None) -> Any:
        return self.get_now(key)

    async def _multi_get(
        self, keys: Sequence[str], encoding: str | None = "utf-8", _conn: Any = None
    ) -> list[Any]:
        return self.get_many_now(keys)

    async def _set(
        self,
        key: str,
        value: Any,
        ttl: float | None = None,
        _cas_token: Any = None,
        _conn: Any = None,
    ) -> bool | int:
        if _cas_token is not None and _cas_token != self.get_now(key):
            return 0
        self.set_now(key, value, ttl)
        return True

    async def _multi_set(
        self, pairs: Sequence[tuple[str, Any]], ttl: float | None = None, _conn: Any = None
    ) -> bool:
        for key, value in pairs:
            self.set_now(key, value, ttl)
        return True

    async def _add(self, key: str, value: Any, ttl: float | None = None, _conn: Any = None) -> bool:
        if not self.add_now(key, value, ttl):
            raise ValueError(f"Key {key} already exists, use .set to update the value")
        return True

    async def _exists(self, key: str, _conn: Any = None) -> bool:
        return self.get_now(key) is not None

    async def _increment(self, key: str, delta: int, _conn: Any = None) -> int:
        return self.incr_now(key, delta)

    async def _expire(self, key: str, ttl: float | None, _conn: Any = None) -> bool:
        value = self.get_now(key)
        if value is None:
            return False
        self.set_now(key, value, ttl)
        return True

    async def _delete(self, key: str, _conn: Any = None) -> int:
        return self.delete_now(key)

    async def _clear(self, namespace: str | None = None, _conn: Any = None) -> bool:
        self.clear_now(namespace)
        return True

    async def _raw(self, command: str, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            f"raw command {command!r} is not supported by the bounded memory cache; "
            "use the aiocache API (get, set, increment, ...)"
        )

    async def _redlock_release(self, key: str, value: Any) -> int:
        if self.get_now(key) == value:
            return self.delete_now(key)
        return 0
