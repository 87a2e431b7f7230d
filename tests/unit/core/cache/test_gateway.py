"""CacheGateway on the in-process backend: modes, isolation, global config, degradation."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import msgspec
import pytest
from aiocache import caches

from loom.core.cache import (
    BoundedMemoryCache,
    CacheConfig,
    CachedRepository,
    CacheGateway,
    GenerationalDependencyResolver,
    MsgspecSerializer,
)
from loom.core.errors import CacheError, ConfigError
from tests.unit.core.cache.fakes import FakeRepository, FlakyMemoryCache, Product, commit, name_of

SERIALIZER = {"class": "loom.core.cache.serializer.MsgspecSerializer"}


class Point(msgspec.Struct):
    x: int
    y: int


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def restore_aiocache_config() -> Iterator[None]:
    saved = caches.get_config()
    yield
    caches.set_config(saved)


async def test_data_gateway_round_trips_structs() -> None:
    gateway = CacheGateway.from_config(CacheConfig())
    assert not gateway.counter_mode
    await gateway.set_value("p", Point(x=1, y=2), ttl=30)
    assert await gateway.get_value("p", type=Point) == Point(x=1, y=2)
    assert await gateway.get_value("p") == {"x": 1, "y": 2}
    await gateway.multi_set_values([("a", 1), ("b", [2])])
    assert await gateway.multi_get_values(["a", "b", "c"]) == [1, [2], None]
    assert await gateway.exists("a")
    assert await gateway.delete("a") == 1
    assert await gateway.delete_many(["a", "b"]) == 1
    assert await gateway.incr("n", 3) == 3
    assert await gateway.incr("n") == 4
    await gateway.clear()
    assert await gateway.get_value("n") is None
    await gateway.close()


async def test_counter_gateway_uses_native_increment() -> None:
    config = CacheConfig(aiocache_config={"default": {"cache": "aiocache.SimpleMemoryCache"}})
    gateway = CacheGateway.from_config(config)
    assert gateway.counter_mode
    assert [await gateway.incr("c") for _ in range(3)] == [1, 2, 3]
    assert await gateway.get_value("c") == 3


async def test_a_value_that_does_not_decode_is_a_miss() -> None:
    gateway = CacheGateway.from_config(CacheConfig())
    gateway.backend.set_now(gateway._full_key("bad"), b"\xc1\xc1")
    assert await gateway.get_value("bad") is None
    await gateway.set_value("str", "text")
    assert await gateway.get_value("str", type=Point) is None


async def test_gateways_built_from_configs_do_not_share_entries() -> None:
    first = CacheGateway.from_config(CacheConfig())
    second = CacheGateway.from_config(CacheConfig())
    await first.set_value("k", 1)
    assert await second.get_value("k") is None
    data, counters = CacheGateway.pair_from_config(CacheConfig())
    assert data is counters


async def test_max_size_bounds_the_memory_backend() -> None:
    config = CacheConfig(
        max_size=2,
        aiocache_config={
            "default": {"cache": "aiocache.SimpleMemoryCache", "serializer": SERIALIZER}
        },
    )
    gateway = CacheGateway.from_config(config)
    assert isinstance(gateway.backend, BoundedMemoryCache)
    for key in "abc":
        await gateway.set_value(key, key)
    assert await gateway.multi_get_values(["a", "b", "c"]) == [None, "b", "c"]


def test_an_unknown_alias_names_the_configured_ones() -> None:
    config = CacheConfig(aiocache_config={"cache": {"cache": "aiocache.SimpleMemoryCache"}})
    with pytest.raises(ConfigError, match=r"'other'.*configured aliases: cache"):
        CacheGateway.from_config(config, "other")


def test_a_bad_class_path_is_a_config_error() -> None:
    config = CacheConfig(aiocache_config={"default": {"cache": "aiocache.NoSuchCache"}})
    with pytest.raises(ConfigError, match=r"aiocache\.NoSuchCache"):
        CacheGateway.from_config(config)


@pytest.mark.usefixtures("restore_aiocache_config")
async def test_apply_config_fills_the_global_registry_with_bounded_caches() -> None:
    config = CacheConfig(
        aiocache_alias="cache",
        counter_alias="counters",
        max_size=5,
        aiocache_config={
            "cache": {"cache": "aiocache.SimpleMemoryCache", "serializer": SERIALIZER},
            "counters": {"cache": "aiocache.SimpleMemoryCache", "max_size": 9},
        },
    )
    CacheGateway.apply_config(config)
    data = CacheGateway(alias=config.aiocache_alias)
    counters = CacheGateway(alias=config.effective_counter_alias)
    assert isinstance(data.backend.serializer, MsgspecSerializer)
    assert (data.backend.max_size, counters.backend.max_size) == (5, 9)
    assert (data.counter_mode, counters.counter_mode) == (False, True)
    assert await counters.incr("x") == 1


@pytest.mark.usefixtures("restore_aiocache_config")
def test_configure_keeps_aiocache_default_when_none_is_given() -> None:
    CacheGateway.configure({"mine": {"cache": "aiocache.SimpleMemoryCache"}})
    assert set(caches.get_config()) == {"default", "mine"}
    assert isinstance(CacheGateway(alias="mine").backend, BoundedMemoryCache)


async def test_an_unreachable_backend_degrades_warns_once_and_recovers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="loom.cache")
    clock = Clock()
    backend = FlakyMemoryCache(serializer=MsgspecSerializer())
    gateway = CacheGateway(alias="flaky", backend=backend, retry_after=5, clock=clock)
    config = CacheConfig()
    repo = FakeRepository(rows=[Product(id=1, name="v1")])
    cached: CachedRepository[Product, Any, Any, int] = CachedRepository(
        repo,
        config=config,
        cache=gateway,
        dependency_resolver=GenerationalDependencyResolver(gateway),
    )
    await cached.get_by_id(1)
    backend.broken = True
    for _ in range(5):
        assert await name_of(cached, 1) == "v1"
    await gateway.set_value("k", 1)  # skipped, no error
    assert await gateway.get_value("k") is None
    with pytest.raises(CacheError, match="'flaky' is unavailable"):
        await gateway.incr("n")
    await cached.update(1, {"name": "v2"})
    await commit(repo, cached)
    # The first call failed; the others skipped the backend until the back-off ended.
    assert gateway.stats.errors == 1
    assert gateway.stats.bypassed == 5
    warnings = [r for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(warnings) == 1
    assert "'flaky'" in warnings[0].getMessage()

    backend.broken = False
    assert await name_of(cached, 1) == "v2"  # still within the back-off
    clock.now += 5
    assert await name_of(cached, 1) == "v2"
    assert await name_of(cached, 1) == "v2"
    assert cached.stats.hits == 1
    assert any("answers again" in r.getMessage() for r in caplog.records)


async def test_a_failed_probe_backs_off_again_without_a_new_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="loom.cache")
    clock = Clock()
    backend = FlakyMemoryCache(serializer=MsgspecSerializer())
    backend.broken = True
    gateway = CacheGateway(alias="flaky", backend=backend, retry_after=5, clock=clock)
    for _ in range(3):
        assert await gateway.get_value("k") is None
    assert gateway.stats.errors == 1
    clock.now += 5
    assert await gateway.get_value("k") is None
    assert await gateway.get_value("k") is None
    assert gateway.stats.errors == 2
    assert len([r for r in caplog.records if "unreachable" in r.getMessage()]) == 1
