"""``cached`` and ``cache_query``: declarations a repository class makes about caching.

Imports the standard library and ``loom.core.errors`` only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from loom.core.errors import ConfigError

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

CACHED_ATTR = "__loom_cached__"
QUERY_ATTR = "__loom_cache_query__"
SCOPES = ("list", "entity")


@dataclass(frozen=True, slots=True)
class CacheQuery:
    """How a custom read method is cached.

    Attributes:
        scope: ``"list"`` (TTL of lists) or ``"entity"`` (TTL of single lookups). Either way
            the value depends on the entity and list tags, so any write to the entity
            invalidates it.
        ttl_key: Entity name whose TTL override applies (default: the repository's entity).
    """

    scope: str = "list"
    ttl_key: str | None = None


def cached(cls: T) -> T:
    """Mark a repository class for cache wrapping (the kernel wraps it in ``CachedRepository``).

    Args:
        cls: The repository class.

    Returns:
        The same class.
    """
    setattr(cls, CACHED_ATTR, True)
    return cls


def is_cached(obj: Any) -> bool:
    """Whether a repository class or instance was marked with :func:`cached`."""
    return bool(getattr(obj, CACHED_ATTR, False))


def cache_query(*, scope: str = "list", ttl_key: str | None = None) -> Callable[[F], F]:
    """Cache a custom async read method of a repository when it runs through the cache.

    Arguments must encode with msgspec (they form the key); the return annotation gives the
    type cached values decode to.

    Args:
        scope: ``"list"`` or ``"entity"``; selects the TTL.
        ttl_key: Entity name whose TTL override applies.

    Returns:
        A decorator that marks the method and returns it unchanged.

    Raises:
        ConfigError: On an unknown scope.
    """
    if scope not in SCOPES:
        raise ConfigError(f"cache_query scope {scope!r} is not one of {', '.join(SCOPES)}")
    marker = CacheQuery(scope=scope, ttl_key=ttl_key)

    def mark(fn: F) -> F:
        setattr(fn, QUERY_ATTR, marker)
        return fn

    return mark
