"""Redis-only behaviour: binary values, one round trip per hit, outages and counter loss."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import msgspec
import pytest

from loom.core.cache import (
    CacheConfig,
    CachedRepository,
    CacheGateway,
    GenerationalDependencyResolver,
)
from loom.core.query import PageParams
from tests.faults import PrivateRedis, TcpProxy
from tests.integration.cache.stacks import SERIALIZER, Stack, build_stack, dispose, redis_config
from tests.unit.core.cache.fakes import FakeRepository, Product, commit, name_of

pytestmark = pytest.mark.integration


class Blob(msgspec.Struct):
    name: str
    data: bytes


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def namespace() -> str:
    return f"loomtest_{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def redis_stack(redis_url: str, namespace: str) -> AsyncIterator[Stack]:
    built = build_stack(redis_config(redis_url, namespace))
    try:
        yield built
    finally:
        await dispose(built)


@pytest.fixture
def proxy(redis_url: str) -> Iterator[TcpProxy]:
    with TcpProxy.for_url(redis_url, 6379) as server:
        yield server


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis()
    server.start()
    try:
        yield server
    finally:
        server.kill()


def _count_commands(gateway: CacheGateway) -> Callable[[], int]:
    client = gateway.backend.client
    original = client.execute_command
    calls: list[Any] = []

    async def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[0])
        return await original(*args, **kwargs)

    client.execute_command = counting
    return lambda: len(calls)


async def test_binary_msgpack_round_trips_through_redis(redis_stack: Stack) -> None:
    blob = Blob(name="ünïcode", data=bytes(range(256)))
    await redis_stack.data.set_value("blob", blob, ttl=60)
    assert await redis_stack.data.get_value("blob", type=Blob) == blob
    await redis_stack.data.multi_set_values([("a", {"x": b"\xff"}), ("b", [1, 2])], ttl=60)
    assert await redis_stack.data.multi_get_values(["a", "b", "nope"]) == [
        {"x": b"\xff"},
        [1, 2],
        None,
    ]


async def test_counter_gateway_increments_atomically_on_redis(redis_stack: Stack) -> None:
    assert redis_stack.counters.counter_mode
    assert not redis_stack.data.counter_mode
    assert [await redis_stack.counters.incr("n") for _ in range(3)] == [1, 2, 3]
    assert await redis_stack.counters.incr("n", 5) == 8
    assert await redis_stack.data.incr("m", 2) == 2  # data mode: read, add, write back
    assert await redis_stack.data.get_value("m") == 2


async def test_a_hit_is_one_round_trip_when_values_and_counters_share_a_server(
    redis_stack: Stack,
) -> None:
    await redis_stack.cached.get_by_id(1)
    await redis_stack.cached.list_paginated(PageParams(limit=5))
    data_commands = _count_commands(redis_stack.data)
    counter_commands = _count_commands(redis_stack.counters)
    await redis_stack.cached.get_by_id(1)
    await redis_stack.cached.list_paginated(PageParams(limit=5))
    assert redis_stack.cached.stats.hits == 2
    assert (data_commands(), counter_commands()) == (2, 0)


async def test_outage_degrades_to_the_repository_and_never_serves_a_stale_entry(
    proxy: TcpProxy, namespace: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="loom.cache")
    config = CacheConfig(
        aiocache_alias="cache",
        aiocache_config={
            "cache": {
                "cache": "aiocache.RedisCache",
                "endpoint": "127.0.0.1",
                "port": proxy.port,
                "namespace": namespace,
                "serializer": SERIALIZER,
            }
        },
    )
    clock = Clock()
    data, counters = CacheGateway.pair_from_config(config, retry_after=5, clock=clock)
    repo = FakeRepository(rows=[Product(id=1, name="v1")])
    cached: CachedRepository[Product, Any, Any, int] = CachedRepository(
        repo,
        config=config,
        cache=data,
        dependency_resolver=GenerationalDependencyResolver(counters),
    )
    try:
        assert await name_of(cached, 1) == "v1"
        assert await name_of(cached, 1) == "v1"
        assert cached.stats.hits == 1

        proxy.cut()
        for _ in range(3):
            assert await name_of(cached, 1) == "v1"
        await cached.update(1, {"name": "v2"})
        await commit(repo, cached)  # the bump cannot reach Redis; no error either
        assert await name_of(cached, 1) == "v2"
        unreachable = [r for r in caplog.records if "unreachable" in r.getMessage()]
        assert len(unreachable) == 1
        assert repo.calls["get_by_id"] == 5

        proxy.restore()
        await cached.get_by_id(1)  # within the back-off: no probe, straight to the repository
        assert repo.calls["get_by_id"] == 6
        clock.now += 5
        # Redis still holds the v1 entry under counters the lost bump never moved.
        assert await name_of(cached, 1) == "v2"
        assert await name_of(cached, 1) == "v2"
        assert cached.stats.hits == 2
        assert any("answers again" in r.getMessage() for r in caplog.records)
        assert len([r for r in caplog.records if "unreachable" in r.getMessage()]) == 1
    finally:
        await data.clear()
        await data.close()


async def test_counter_server_restart_loses_no_invalidation(
    private_redis: PrivateRedis, redis_url: str, namespace: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="loom.cache")
    config = redis_config(redis_url, namespace)
    config.aiocache_config["counters"]["port"] = private_redis.port
    clock = Clock()
    data, counters = CacheGateway.pair_from_config(config, retry_after=5, clock=clock)
    repo = FakeRepository(rows=[Product(id=1, name="v1")])
    cached: CachedRepository[Product, Any, Any, int] = CachedRepository(
        repo,
        config=config,
        cache=data,
        dependency_resolver=GenerationalDependencyResolver(counters),
    )
    try:
        await cached.get_by_id(1)
        await cached.update(1, {"name": "v2"})
        await commit(repo, cached)
        assert await name_of(cached, 1) == "v2"  # stored on the shared Redis

        private_redis.kill()
        assert await name_of(cached, 1) == "v2"  # bypassed: counters unreachable
        assert cached.stats.bypassed == 1
        private_redis.start()  # empty: every counter is gone
        clock.now += 5
        await cached.update(1, {"name": "v3"})
        await commit(repo, cached)
        assert await name_of(cached, 1) == "v3"
        assert await name_of(cached, 1) == "v3"
        assert cached.stats.hits == 1
        assert len([r for r in caplog.records if "unreachable" in r.getMessage()]) == 1
    finally:
        await data.clear()
        await data.close()
        await counters.close()
