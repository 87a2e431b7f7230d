"""The ``CacheBackend`` port and the hit/miss counters cache users read.

Imports the standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, overload, runtime_checkable

T = TypeVar("T")


@runtime_checkable
class CacheBackend(Protocol):
    """Key-value storage the cache logic runs on (aiocache memory and Redis are adapters)."""

    @overload
    async def get_value(self, key: str, *, type: type[T]) -> T | None: ...
    @overload
    async def get_value(self, key: str, *, type: None = None) -> Any: ...
    async def get_value(self, key: str, *, type: type[T] | None = None) -> T | Any | None:
        """Return the value under ``key`` (converted to ``type`` when given), or ``None``."""
        ...

    async def set_value(self, key: str, value: Any, ttl: int | None = None) -> None:
        """Store ``value`` under ``key`` for ``ttl`` seconds (``None``: no expiry)."""
        ...

    async def multi_get_values(
        self, keys: list[str], *, type: type[T] | None = None
    ) -> list[T | Any | None]:
        """Return the values of ``keys`` in order, ``None`` for misses, in one round trip."""
        ...

    async def multi_set_values(self, pairs: list[tuple[str, Any]], ttl: int | None = None) -> None:
        """Store several ``(key, value)`` pairs in one round trip."""
        ...

    async def exists(self, key: str) -> bool:
        """Whether ``key`` holds a value."""
        ...

    async def delete(self, key: str) -> int:
        """Delete ``key``; return how many keys were deleted (0 or 1)."""
        ...

    async def delete_many(self, keys: list[str]) -> int:
        """Delete ``keys``; return how many were deleted."""
        ...

    async def incr(self, key: str, delta: int = 1) -> int:
        """Add ``delta`` to the integer under ``key`` (0 when missing); return the new value."""
        ...

    async def close(self) -> None:
        """Release connections and pools."""
        ...


@dataclass(slots=True)
class CacheStats:
    """Counters for metrics and tests; shared by everything that uses one data backend.

    Attributes:
        hits: Reads answered from the cache.
        misses: Reads that had to load from the repository and then populated the cache.
        errors: Backend operations that failed (connection lost, timeout, server error).
        bypassed: Reads sent straight to the repository because the cache was unavailable
            (an outage, a pending invalidation) -- not counted as misses.
    """

    hits: int = 0
    misses: int = 0
    errors: int = 0
    bypassed: int = 0

    def as_dict(self) -> dict[str, int]:
        """The counters by name, for a metrics exporter."""
        return {
            "hits": self.hits,
            "misses": self.misses,
            "errors": self.errors,
            "bypassed": self.bypassed,
        }

    def reset(self) -> None:
        """Set every counter back to zero."""
        self.hits = self.misses = self.errors = self.bypassed = 0
