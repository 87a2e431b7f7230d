"""The cache contract of CachedRepository, on the in-process backend and on Redis."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from loom.core.cache import CachedRepository
from loom.core.events import MutationEvent
from loom.core.query import (
    CursorResult,
    FilterParams,
    PageParams,
    PageResult,
    PaginationMode,
    QuerySpec,
)
from loom.core.transaction import UnitOfWork, in_write_transaction
from loom.core.transaction._uow import _reset_current, _set_current
from tests.integration.cache.stacks import Stack
from tests.unit.core.cache.fakes import (
    FakeRepository,
    Product,
    ProductWithReviews,
    Review,
    commit,
    name_of,
    rollback,
    until,
)


async def test_second_read_by_id_is_a_hit(stack: Stack) -> None:
    first = await stack.cached.get_by_id(1)
    second = await stack.cached.get_by_id(1)
    assert first == second == Product(id=1, name="p1", price=1)
    assert isinstance(second, Product)
    assert stack.repo.calls["get_by_id"] == 1
    assert (stack.cached.stats.hits, stack.cached.stats.misses) == (1, 1)


async def test_absent_row_is_cached_until_it_is_created(stack: Stack) -> None:
    assert await stack.cached.get_by_id(99) is None
    assert await stack.cached.get_by_id(99) is None
    assert stack.repo.calls["get_by_id"] == 1
    await stack.cached.create(Product(id=99, name="new"))
    await commit(stack.repo, stack.cached)
    assert await stack.cached.get_by_id(99) == Product(id=99, name="new")


async def test_update_invalidates_its_row_and_every_list_but_not_other_rows(stack: Stack) -> None:
    page = PageParams(page=1, limit=10)
    await stack.cached.get_by_id(5)
    await stack.cached.get_by_id(6)
    await stack.cached.list_paginated(page)
    await stack.cached.update(5, {"price": 500})
    await commit(stack.repo, stack.cached)

    assert (await stack.cached.get_by_id(5)) == Product(id=5, name="p5", price=500)
    assert (await stack.cached.get_by_id(6)) == Product(id=6, name="p6", price=6)
    listed = await stack.cached.list_paginated(page)
    assert [p.price for p in listed.items if p.id == 5] == [500]
    assert stack.repo.calls["get_by_id"] == 3  # 5, 6, then 5 again; 6 was a hit
    assert stack.repo.calls["list_paginated"] == 2


async def test_delete_invalidates_after_commit(stack: Stack) -> None:
    await stack.cached.get_by_id(2)
    assert await stack.cached.delete(2) is True
    await commit(stack.repo, stack.cached)
    assert await stack.cached.get_by_id(2) is None


async def test_rolled_back_write_leaves_the_cache_untouched(stack: Stack) -> None:
    await stack.cached.get_by_id(3)
    await stack.cached.update(3, {"name": "uncommitted"})
    rollback(stack.repo)  # the post-commit channel never runs
    stack.repo.rows[3] = Product(id=3, name="p3", price=3)  # the database rolled back too
    assert await stack.cached.get_by_id(3) == Product(id=3, name="p3", price=3)
    assert stack.cached.stats.hits == 1


async def test_reads_in_a_write_transaction_neither_read_nor_fill_the_cache(stack: Stack) -> None:
    await stack.cached.get_by_id(1)  # cached before the transaction
    token = _set_current(UnitOfWork())
    try:
        assert in_write_transaction()
        await stack.cached.update(1, {"name": "mine"})
        assert (await stack.cached.get_by_id(1)) == Product(id=1, name="mine", price=1)
        assert (await stack.cached.get_by_id(4)) is not None
    finally:
        _reset_current(token)
    rollback(stack.repo)
    stats = stack.cached.stats
    assert (stats.hits, stats.misses) == (0, 1)
    await stack.cached.get_by_id(4)  # never populated by the transaction: a miss now
    assert stats.misses == 2


async def test_reads_in_a_read_only_transaction_use_the_cache(stack: Stack) -> None:
    await stack.cached.get_by_id(1)
    token = _set_current(UnitOfWork(read_only=True))
    try:
        await stack.cached.get_by_id(1)
    finally:
        _reset_current(token)
    assert stack.cached.stats.hits == 1


async def test_list_paginated_is_cached_per_query(stack: Stack) -> None:
    first = await stack.cached.list_paginated(PageParams(page=1, limit=2))
    again = await stack.cached.list_paginated(PageParams(page=1, limit=2))
    other = await stack.cached.list_paginated(
        PageParams(page=1, limit=2), FilterParams(filters={"name": "p3"})
    )
    assert isinstance(again, PageResult)
    assert again == first
    assert all(isinstance(p, Product) for p in again.items)
    assert [p.id for p in other.items] == [3]
    assert stack.repo.calls["list_paginated"] == 2


@pytest.mark.parametrize("mode", [PaginationMode.OFFSET, PaginationMode.CURSOR])
async def test_list_with_query_is_cached_with_its_result_type(
    stack: Stack, mode: PaginationMode
) -> None:
    query = QuerySpec(pagination=mode, limit=3)
    first = await stack.cached.list_with_query(query)
    again = await stack.cached.list_with_query(query)
    expected = CursorResult if mode == PaginationMode.CURSOR else PageResult
    assert isinstance(again, expected)
    assert again == first
    assert stack.repo.calls["list_with_query"] == 1
    await stack.cached.create(Product(id=50, name="late"))
    await commit(stack.repo, stack.cached)
    await stack.cached.list_with_query(query)
    assert stack.repo.calls["list_with_query"] == 2


async def test_other_methods_are_forwarded_uncached(stack: Stack) -> None:
    cached = stack.cached
    for _ in range(2):
        assert (await cached.get_by("name", "p2")) == Product(id=2, name="p2", price=2)
        assert await cached.exists_by("name", "p2") is True
        assert await cached.count() == 7
        assert (await cached.most_expensive()).id == 7
    assert stack.repo.calls["get_by"] == 2
    assert stack.repo.calls["exists_by"] == 2
    assert stack.repo.calls["count"] == 2
    assert stack.repo.calls["most_expensive"] == 2
    assert cached.stats.hits == 0


async def test_cache_query_methods_are_cached_and_invalidated_by_writes(stack: Stack) -> None:
    cheap = await stack.cached.cheap(3)
    assert await stack.cached.cheap(3) == cheap
    assert [p.id for p in await stack.cached.cheap(3)] == [1, 2, 3]
    assert all(isinstance(p, Product) for p in await stack.cached.cheap(3))
    assert stack.repo.calls["cheap"] == 1
    await stack.cached.cheap(4)
    assert stack.repo.calls["cheap"] == 2
    await stack.cached.update(7, {"price": 0})
    await commit(stack.repo, stack.cached)
    assert [p.id for p in await stack.cached.cheap(3)] == [1, 2, 3, 7]


async def test_concurrent_misses_on_one_key_load_once(stack: Stack) -> None:
    stack.repo.gate = asyncio.Event()
    readers = [asyncio.create_task(stack.cached.get_by_id(1)) for _ in range(100)]
    await until(lambda: stack.cached.stats.misses == 100)
    stack.repo.gate.set()
    results = await asyncio.gather(*readers)
    assert stack.repo.calls["get_by_id"] == 1
    assert all(r == Product(id=1, name="p1", price=1) for r in results)
    assert len({id(r) for r in results}) == 100  # each caller gets its own object
    assert await stack.cached.get_by_id(1) == results[0]
    assert stack.cached.stats.hits == 1


async def test_a_read_after_a_commit_does_not_join_an_older_load(stack: Stack) -> None:
    stack.repo.gate = asyncio.Event()
    before = asyncio.create_task(stack.cached.get_by_id(1))
    await until(lambda: stack.repo.calls["get_by_id"] == 1)
    stack.repo.rows[1] = Product(id=1, name="committed", price=1)
    stack.repo.pending.append(MutationEvent("products", "updated", (1,)))
    await commit(stack.repo, stack.cached)
    after = asyncio.create_task(stack.cached.get_by_id(1))
    await until(lambda: stack.repo.calls["get_by_id"] == 2)
    stack.repo.gate.set()
    await before
    latest = await after
    assert latest is not None
    assert latest.name == "committed"


async def test_malformed_bytes_under_a_key_are_a_miss(stack: Stack) -> None:
    await stack.cached.get_by_id(1)
    key = stack.data._full_key("loom:v:products:default:1")
    for garbage in (b"\xc1L1" + b"0" * 30, b"not msgpack at all", b"\x93\x01\x02", b""):
        await stack.data._write([(key, garbage)], None)
        reader = stack.fork()  # another process: it never loaded the row itself
        assert await reader.cached.get_by_id(1) == Product(id=1, name="p1", price=1)
    assert stack.repo.calls["get_by_id"] == 5
    assert await stack.fork().cached.get_by_id(1) == Product(id=1, name="p1", price=1)
    assert await stack.cached.get_by_id(1) == Product(id=1, name="p1", price=1)
    assert stack.repo.calls["get_by_id"] == 5
    assert stack.cached.stats.hits == 2


async def test_foreign_values_under_counter_keys_are_a_miss(stack: Stack) -> None:
    await stack.cached.get_by_id(1)
    key = stack.counters._full_key("loom:gen:products:id:1")
    await stack.counters._write([(key, b"garbage")], None)
    assert await stack.cached.get_by_id(1) == Product(id=1, name="p1", price=1)
    assert await stack.cached.get_by_id(1) == Product(id=1, name="p1", price=1)
    assert stack.repo.calls["get_by_id"] == 2
    assert stack.cached.stats.hits == 1


async def test_lost_counters_never_revive_an_old_entry(stack: Stack) -> None:
    await stack.cached.get_by_id(1)
    await stack.cached.update(1, {"name": "v1"})
    await commit(stack.repo, stack.cached)
    assert await name_of(stack.cached, 1) == "v1"  # stored under the bumped counters
    await stack.counters.clear()  # a restart without persistence, or eviction
    await stack.cached.update(1, {"name": "v2"})
    await commit(stack.repo, stack.cached)
    assert await name_of(stack.cached, 1) == "v2"
    assert await name_of(stack.cached, 1) == "v2"
    assert stack.cached.stats.hits == 1


async def test_cascaded_entities_in_events_are_invalidated(stack: Stack) -> None:
    reviews = FakeRepository(Review, [Review(id=1, product_id=1, stars=3)])
    products = FakeRepository(ProductWithReviews, [ProductWithReviews(id=1, name="p")])
    loaded = stack.fork(products)
    await loaded.cached.get_by_id(1, profile="with_reviews")
    await loaded.cached.get_by_id(1, profile="with_count")
    await loaded.cached.get_by_id(1)
    reviews.pending.append(MutationEvent("reviews", "updated", (1,)))
    await commit(reviews, loaded.cached)
    for profile in ("with_reviews", "with_count", "default"):
        await loaded.cached.get_by_id(1, profile=profile)
    # Both profiles that load reviews reloaded; the default profile stayed cached.
    assert products.calls["get_by_id"] == 5
    assert loaded.cached.stats.hits == 1


async def test_every_hook_sharing_a_resolver_bumps_once(stack: Stack) -> None:
    other = stack.fork()
    await stack.cached.get_by_id(1)
    await stack.cached.update(1, {"name": "x"})
    events = tuple(stack.repo.pending)
    stack.repo.pending.clear()
    await stack.cached.on_transaction_committed(events)
    await other.cached.on_transaction_committed(events)
    await stack.resolver.on_transaction_committed(events)
    assert await name_of(stack.cached, 1) == "x"


async def test_disabled_cache_forwards_everything(stack: Stack) -> None:
    import msgspec

    off = msgspec.structs.replace(stack.config, enabled=False)
    cached: CachedRepository[Product, Any, Any, int] = CachedRepository(
        stack.repo, config=off, cache=stack.data, dependency_resolver=stack.resolver
    )
    await cached.get_by_id(1)
    await cached.get_by_id(1)
    assert stack.repo.calls["get_by_id"] == 2
    assert cached.stats.hits == 0


async def test_create_many_and_upsert_are_forwarded_and_invalidate(stack: Stack) -> None:
    assert await stack.cached.get_by_id(20) is None
    await stack.cached.create_many([Product(id=20, name="a"), Product(id=21, name="b")])
    await stack.cached.upsert(Product(id=1, name="up"), conflict_on=["id"])
    await commit(stack.repo, stack.cached)
    assert (await stack.cached.get_by_id(20)) == Product(id=20, name="a")
    assert (await stack.cached.get_by_id(1)) == Product(id=1, name="up")


async def test_no_warning_is_logged_on_a_healthy_backend(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="loom.cache")
    await stack.cached.get_by_id(1)
    await stack.cached.get_by_id(1)
    assert caplog.records == []
