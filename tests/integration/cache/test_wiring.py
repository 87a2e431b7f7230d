"""A cached repository built by hand invalidates after its own writes, once per commit, on the
in-process cache and on Redis, on SQLite and on PostgreSQL."""

from __future__ import annotations

from typing import Any

from loom.core.cache import (
    CacheConfig,
    CachedRepository,
    CacheGateway,
    GenerationalDependencyResolver,
)
from loom.core.query import PageParams
from loom.core.repository.sqlalchemy import RepositorySQLAlchemy, SessionManager
from loom.testing import InMemoryRepository
from tests.integration.cache.sql import Gauge, cached_repository, counting_statements


async def _close(*gateways: CacheGateway) -> None:
    for gateway in set(gateways):
        await gateway.close()


async def test_a_hand_wired_cached_repository_is_never_stale_after_its_own_writes(
    sm: SessionManager, cache_config: CacheConfig
) -> None:
    # Exactly the construction the package docstring and the reference document show.
    data, counters = CacheGateway.pair_from_config(cache_config)
    resolver = GenerationalDependencyResolver(counters)
    repo: RepositorySQLAlchemy[Gauge, int] = RepositorySQLAlchemy(sm, Gauge)
    gauges: CachedRepository[Gauge, Any, Any, int] = CachedRepository(
        repo, config=cache_config, cache=data, dependency_resolver=resolver
    )
    try:
        await gauges.create(Gauge(id=1, value=1))
        assert await gauges.get_by_id(1) == Gauge(id=1, value=1)
        first = await gauges.list_paginated(PageParams(limit=10))
        assert [g.id for g in first.items] == [1]
        with counting_statements(sm) as statements:
            assert await gauges.get_by_id(1) == Gauge(id=1, value=1)
            assert [g.id for g in (await gauges.list_paginated(PageParams(limit=10))).items] == [1]
        assert statements == []  # both hits

        await gauges.update(1, {"value": 2})
        assert await gauges.get_by_id(1) == Gauge(id=1, value=2)
        await gauges.create(Gauge(id=2, value=5))
        page = await gauges.list_paginated(PageParams(limit=10))
        assert [(g.id, g.value) for g in page.items] == [(1, 2), (2, 5)]
        await gauges.delete(1)
        assert await gauges.get_by_id(1) is None
        assert [g.id for g in (await gauges.list_paginated(PageParams(limit=10))).items] == [2]
        assert gauges.stats.hits >= 2
    finally:
        await _close(data, counters)


async def test_writes_through_the_plain_repository_invalidate_too(
    sm: SessionManager, cache_config: CacheConfig
) -> None:
    plain: RepositorySQLAlchemy[Gauge, int] = RepositorySQLAlchemy(sm, Gauge)
    gauges, (data, counters) = cached_repository(sm, cache_config)
    try:
        await plain.create(Gauge(id=1, value=1))
        assert await gauges.get_by_id(1) == Gauge(id=1, value=1)
        await plain.update(1, {"value": 9})  # not through the cached repository
        assert await gauges.get_by_id(1) == Gauge(id=1, value=9)
    finally:
        await _close(data, counters)


async def _counter(counters: CacheGateway, tag: str) -> int:
    # Raw read: on the in-process cache the counters share the (serializing) data backend.
    raw = await counters._read([counters._full_key(f"loom:gen:{tag}")], "test")
    assert raw is not None
    assert raw[0] is not None, f"no counter for {tag}"
    return int(raw[0])


async def test_one_commit_bumps_once_however_often_the_resolver_was_registered(
    sm: SessionManager, cache_config: CacheConfig
) -> None:
    data, counters = CacheGateway.pair_from_config(cache_config)
    resolver = GenerationalDependencyResolver(counters)
    repo: RepositorySQLAlchemy[Gauge, int] = RepositorySQLAlchemy(sm, Gauge)
    first: CachedRepository[Gauge, Any, Any, int] = CachedRepository(
        repo, config=cache_config, cache=data, dependency_resolver=resolver
    )
    second: CachedRepository[Gauge, Any, Any, int] = CachedRepository(
        repo, config=cache_config, cache=data, dependency_resolver=resolver
    )
    sm.add_post_commit_hook(resolver)  # what the kernel does besides
    try:
        await first.create(Gauge(id=1, value=1))
        before = await _counter(counters, "cache_gauges:id:1")
        await second.update(1, {"value": 2})
        assert await _counter(counters, "cache_gauges:id:1") == before + 1
        assert sm.post_commit_hooks.count(resolver) == 1
    finally:
        await _close(data, counters)


async def test_a_cached_in_memory_repository_invalidates_after_its_own_writes(
    cache_config: CacheConfig,
) -> None:
    gauges, (data, counters) = cached_repository(None, cache_config, InMemoryRepository(Gauge))
    try:
        await gauges.create(Gauge(id=1, value=1))
        assert await gauges.get_by_id(1) == Gauge(id=1, value=1)
        assert await gauges.get_by_id(1) == Gauge(id=1, value=1)
        assert gauges.stats.hits == 1
        await gauges.update(1, {"value": 2})
        assert await gauges.get_by_id(1) == Gauge(id=1, value=2)
    finally:
        await _close(data, counters)
