"""The cache: cache-aside repositories that are never stale after a commit.

``CachedRepository`` wraps a repository; ``GenerationalDependencyResolver`` keeps generation
counters per tag (entity, entity id, entity list) and bumps them after commit;
``CacheGateway`` is the facade over an aiocache backend (bounded memory or Redis), absorbing
outages so a failing cache degrades to the database.

Build a kernel's backends from its config without aiocache's process-wide registry::

    data, counters = CacheGateway.pair_from_config(config)
    resolver = GenerationalDependencyResolver(counters)
    products = CachedRepository(repo, config=config, cache=data, dependency_resolver=resolver)

The cached repository subscribes the resolver to ``repo``'s session manager, so every commit
bumps the counters of what it wrote. An :class:`InvalidationJournal` (the database's, in the
SQLAlchemy adapter) keeps the bumps that could not reach a shared cache until a process applies
them (:class:`JournalApplier`).

This package imports msgspec, aiocache, the standard library and ``loom.core``; never
sqlalchemy, fastapi, celery or redis (Redis is reached through ``aiocache.RedisCache.client``).
"""

from loom.core.cache._applier import JournalApplier
from loom.core.cache._backend import CacheBackend, CacheStats
from loom.core.cache._config import CacheConfig
from loom.core.cache._gateway import CacheGateway
from loom.core.cache._journal import (
    InvalidationJournal,
    JournalListener,
    MemoryInvalidationJournal,
    Wake,
)
from loom.core.cache._markers import cache_query, cached, is_cached
from loom.core.cache._memory import BoundedMemoryCache
from loom.core.cache._repository import CachedRepository
from loom.core.cache._resolver import DependencyResolver, GenerationalDependencyResolver
from loom.core.cache.serializer import MsgspecSerializer

__all__ = [
    "BoundedMemoryCache",
    "CacheBackend",
    "CacheConfig",
    "CacheGateway",
    "CacheStats",
    "CachedRepository",
    "DependencyResolver",
    "GenerationalDependencyResolver",
    "InvalidationJournal",
    "JournalApplier",
    "JournalListener",
    "MemoryInvalidationJournal",
    "MsgspecSerializer",
    "Wake",
    "cache_query",
    "cached",
    "is_cached",
]
