"""BoundedMemoryCache: a bound, LRU eviction and lazy expiry."""

from __future__ import annotations

import pytest

from loom.core.cache import (
    BoundedMemoryCache,
    CacheConfig,
    CacheGateway,
    GenerationalDependencyResolver,
)
from loom.core.events import MutationEvent


def test_least_recently_used_entries_are_evicted_past_max_size() -> None:
    cache = BoundedMemoryCache(max_size=3)
    for key in "abc":
        cache.set_now(key, key.upper())
    assert cache.get_now("a") == "A"  # "a" is now the most recently used
    cache.set_now("d", "D")
    assert len(cache) == 3
    assert cache.get_many_now(["a", "b", "c", "d"]) == ["A", None, "C", "D"]


def test_entries_expire_on_access_after_their_ttl(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    monkeypatch.setattr("loom.core.cache._memory.time.monotonic", lambda: now[0])
    cache = BoundedMemoryCache()
    cache.set_now("k", 1, ttl=10)
    cache.set_now("forever", 2)
    now[0] += 10
    assert cache.get_now("k") is None
    assert cache.get_now("forever") == 2
    assert len(cache) == 1


def test_increment_and_add_keep_the_bound() -> None:
    cache = BoundedMemoryCache(max_size=2)
    assert cache.incr_now("n", 2) == 2
    assert cache.incr_now("n") == 3
    assert cache.add_now("n", 100) is False
    assert cache.add_now("m", 7) is True
    cache.incr_now("o")
    assert len(cache) == 2
    cache.set_now("s", "text")
    with pytest.raises(TypeError, match="not an integer"):
        cache.incr_now("s")


async def test_aiocache_api_works_on_the_bounded_cache() -> None:
    cache = BoundedMemoryCache(max_size=10, namespace="ns:")
    await cache.set("a", 1)
    assert await cache.get("a") == 1
    assert await cache.multi_get(["a", "b"]) == [1, None]
    assert await cache.exists("a")
    assert await cache.increment("c", 4) == 4
    with pytest.raises(ValueError, match="already exists"):
        await cache.add("a", 2)
    assert await cache.delete("a") == 1
    await cache.clear()
    assert len(cache) == 0


def test_a_bound_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        BoundedMemoryCache(max_size=0)


async def test_counters_in_memory_live_counter_ttl_after_each_bump_or_dependent_write(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [100.0]
    monkeypatch.setattr("loom.core.cache._memory.time.monotonic", lambda: now[0])
    gateway = CacheGateway.from_config(CacheConfig())
    resolver = GenerationalDependencyResolver(gateway, counter_ttl=50)
    backend: BoundedMemoryCache = gateway.backend
    await resolver.bump_from_events((MutationEvent("products", "updated", (1,)),))
    counter = gateway._full_key("loom:gen:products:id:1")
    first = backend.get_now(counter)
    assert first is not None
    now[0] += 40
    await resolver.store(["products:id:1"], gateway, "v", b"value", 10)  # now 140: lives until 190
    now[0] += 40
    assert backend.get_now(counter) == first
    now[0] += 50
    assert backend.get_now(counter) is None  # expired: a later read restarts it at random
