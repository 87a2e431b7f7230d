"""Offset pages, keyset cursors and NULL ordering on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
import sqlalchemy as sa

from loom.core.errors import CursorError, QueryError
from loom.core.query import (
    CursorCodec,
    CursorResult,
    FilterGroup,
    FilterOp,
    FilterSpec,
    PageResult,
    PaginationMode,
    QuerySpec,
    SortDirection,
    SortSpec,
)
from loom.core.repository.sqlalchemy._query import build_list, order_by
from loom.core.repository.sqlalchemy._query_keyset import TOTAL_LABEL
from tests.integration.query.conftest import INFO, Harness

ASC, DESC = SortDirection.ASC, SortDirection.DESC
T0 = datetime(2024, 1, 1, tzinfo=UTC)


def _sort(*keys: tuple[str, SortDirection]) -> tuple[SortSpec, ...]:
    return tuple(SortSpec(field=f, direction=d) for f, d in keys)


async def _offset_page(h: Harness, page: int, limit: int, **changes: Any) -> PageResult[int]:
    result = await h.run(QuerySpec(page=page, limit=limit, **changes))
    assert isinstance(result, PageResult)
    return result


async def _cursor_page(
    h: Harness, cursor: str | None, limit: int, **changes: Any
) -> CursorResult[int]:
    query = QuerySpec(pagination=PaginationMode.CURSOR, cursor=cursor, limit=limit, **changes)
    result = await h.run(query)
    assert isinstance(result, CursorResult)
    return result


async def _walk(h: Harness, limit: int, **changes: Any) -> list[list[int]]:
    pages: list[list[int]] = []
    cursor: str | None = None
    while True:
        page = await _cursor_page(h, cursor, limit, **changes)
        pages.append(page.items)
        assert page.has_next == (page.next_cursor is not None)
        if page.next_cursor is None:
            return pages
        cursor = page.next_cursor


@pytest.mark.parametrize(
    ("direction", "expected"),
    [(ASC, [4, 1, 2, 3, 5]), (DESC, [3, 5, 2, 1, 4])],
)
async def test_null_sorts_as_the_largest_value_on_every_backend(
    harness: Harness, direction: SortDirection, expected: list[int]
) -> None:
    await harness.insert(
        [
            {"id": 1, "score": 10},
            {"id": 2, "score": 20},
            {"id": 3, "score": None},
            {"id": 4, "score": 5},
            {"id": 5, "score": None},
        ]
    )
    sort = _sort(("score", direction))
    offset = await _offset_page(harness, 1, 10, sort=sort)
    assert offset.items == expected
    assert [i for page in await _walk(harness, 2, sort=sort) for i in page] == expected
    clauses = order_by(harness.table, INFO, sort)
    assert await harness.ids(sa.select(harness.table).order_by(*clauses)) == expected


async def test_offset_pages_learn_has_next_without_a_count(harness: Harness) -> None:
    await harness.insert([{"id": i} for i in range(1, 8)])
    harness.statements.clear()
    pages = [await _offset_page(harness, p, 3) for p in (1, 2, 3, 4)]
    assert [p.items for p in pages] == [[1, 2, 3], [4, 5, 6], [7], []]
    assert [p.has_next for p in pages] == [True, True, False, False]
    assert [p.total_count for p in pages] == [None] * 4
    assert [(p.page, p.limit) for p in pages] == [(1, 3), (2, 3), (3, 3), (4, 3)]
    assert len(harness.statements) == 4
    assert not any("count(" in s.lower() for s in harness.statements)


async def test_total_is_a_window_count_in_the_same_statement(harness: Harness) -> None:
    await harness.insert([{"id": i, "active": i % 2 == 0} for i in range(1, 8)])
    harness.statements.clear()
    active = FilterGroup(filters=(FilterSpec(field="active", value=False),))
    first = await _offset_page(harness, 1, 3, include_total=True, filters=active)
    last = await _offset_page(harness, 2, 3, include_total=True, filters=active)
    assert (first.items, first.total_count, first.has_next) == ([1, 3, 5], 4, True)
    assert (last.items, last.total_count, last.has_next) == ([7], 4, False)
    assert len(harness.statements) == 2
    assert all("over ()" in s.lower() for s in harness.statements)


async def test_empty_first_page_has_total_zero(harness: Harness) -> None:
    page = await _offset_page(harness, 1, 3, include_total=True)
    assert (page.items, page.total_count, page.has_next) == ([], 0, False)


async def test_a_page_past_the_end_can_ask_for_the_count(harness: Harness) -> None:
    await harness.insert([{"id": i} for i in range(1, 5)])
    plan = build_list(
        harness.table, INFO, QuerySpec(page=9, limit=3, include_total=True), codec=harness.codec
    )
    rows = await harness.plan_rows(plan)
    assert plan.needs_count(rows)
    unknown = plan.finish(rows, lambda row: int(row.id))
    assert isinstance(unknown, PageResult)
    assert (unknown.items, unknown.total_count) == ([], None)
    total = (await harness.execute(plan.count_statement))[0][0]
    counted = plan.finish(rows, lambda row: int(row.id), total=total)
    assert isinstance(counted, PageResult)
    assert (counted.items, counted.total_count, counted.has_next) == ([], 4, False)


async def test_total_column_comes_last_and_item_columns_are_named(harness: Harness) -> None:
    await harness.insert([{"id": 1, "name": "a"}])
    plan = build_list(
        harness.table,
        INFO,
        QuerySpec(include_total=True, sort=_sort(("score", DESC))),
        codec=harness.codec,
        columns=("name",),
    )
    rows = await harness.plan_rows(plan)
    assert plan.columns == ("name",)
    assert list(rows[0]._mapping) == ["name", "score", "id", TOTAL_LABEL]
    assert tuple(rows[0]) == ("a", None, 1, 1)


async def test_cursor_walk_with_many_ties(harness: Harness) -> None:
    rows = [
        {"id": i, "score": i % 3 or None, "label": "x" if i % 2 else None} for i in range(1, 21)
    ]
    await harness.insert(rows)
    sort = _sort(("score", DESC), ("label", ASC))
    everything = await _offset_page(harness, 1, 100, sort=sort)
    pages = await _walk(harness, 3, sort=sort)
    assert [len(p) for p in pages] == [3, 3, 3, 3, 3, 3, 2]
    assert [i for page in pages for i in page] == everything.items
    assert sorted(everything.items) == list(range(1, 21))


async def test_cursor_pages_one_statement_each(harness: Harness) -> None:
    await harness.insert([{"id": i} for i in range(1, 6)])
    harness.statements.clear()
    pages = await _walk(harness, 2)
    assert pages == [[1, 2], [3, 4], [5]]
    assert len(harness.statements) == 3


async def test_inserts_and_deletes_between_pages(harness: Harness) -> None:
    await harness.insert([{"id": i * 10, "score": i} for i in range(1, 9)])  # ids 10..80
    sort = _sort(("score", ASC))
    first = await _cursor_page(harness, None, 3, sort=sort)
    assert first.items == [10, 20, 30]
    # Before the cursor: a new row and a deleted row do not shift the next page.
    await harness.insert([{"id": 5, "score": 0}, {"id": 25, "score": 2}])
    async with harness.engine.begin() as conn:
        await conn.execute(sa.delete(harness.table).where(harness.table.c.id.in_([10, 30, 40])))
    # After the cursor: a tie with the last row (score 3, larger id) and a new row appear.
    await harness.insert([{"id": 31, "score": 3}, {"id": 45, "score": 4}])
    second = await _cursor_page(harness, first.next_cursor, 3, sort=sort)
    assert second.items == [31, 45, 50]
    rest = await _cursor_page(harness, second.next_cursor, 3, sort=sort)
    assert (rest.items, rest.has_next, rest.next_cursor) == ([60, 70, 80], False, None)


async def test_cursor_keys_of_every_type_round_trip(harness: Harness) -> None:
    await harness.insert(
        [
            {
                "id": i,
                "created_at": T0 + timedelta(microseconds=i * 7) if i % 4 else None,
                "code": UUID(int=i % 3) if i % 5 else None,
                "active": i % 2 == 0,
                "label": ["é", "E", "e", None][i % 4],
            }
            for i in range(1, 16)
        ]
    )
    for sort in (
        _sort(("created_at", DESC)),
        _sort(("code", ASC), ("created_at", ASC)),
        _sort(("active", DESC), ("label", DESC), ("id", DESC)),
    ):
        everything = await _offset_page(harness, 1, 100, sort=sort)
        pages = await _walk(harness, 4, sort=sort)
        assert [i for page in pages for i in page] == everything.items


async def test_a_cursor_only_fits_its_own_query(harness: Harness) -> None:
    await harness.insert([{"id": i, "score": i} for i in range(1, 6)])
    sort = _sort(("score", DESC))
    cursor = (await _cursor_page(harness, None, 2, sort=sort)).next_cursor
    assert cursor is not None
    assert (await _cursor_page(harness, cursor, 2, sort=sort)).items == [3, 2]
    with pytest.raises(CursorError, match="issued for another query on Item"):
        await _cursor_page(harness, cursor, 2)
    other_filters = FilterGroup(filters=(FilterSpec(field="score", op=FilterOp.GT, value=0),))
    with pytest.raises(CursorError, match="issued for another query on Item"):
        await _cursor_page(harness, cursor, 2, sort=sort, filters=other_filters)
    with pytest.raises(CursorError, match="cursor is not valid"):
        await _cursor_page(harness, cursor[:-2] + "AA", 2, sort=sort)
    other_key = CursorCodec(b"another-secret")
    with pytest.raises(CursorError, match="signed with another key"):
        build_list(
            harness.table,
            INFO,
            QuerySpec(pagination=PaginationMode.CURSOR, cursor=cursor, sort=sort),
            codec=other_key,
        )
    # The page size may change between pages.
    assert (await _cursor_page(harness, cursor, 10, sort=sort)).items == [3, 2, 1]


async def test_allowlists_and_limits(harness: Harness) -> None:
    with pytest.raises(QueryError, match="sortable fields: name"):
        await harness.run(QuerySpec(sort=_sort(("score", ASC))), sortable=("name",))
    with pytest.raises(QueryError, match="filterable fields: label"):
        await harness.run(
            QuerySpec(filters=FilterGroup(filters=(FilterSpec(field="score", value=1),))),
            filterable=("label",),
        )
    with pytest.raises(QueryError, match="limit must be between 1 and 5, got 6"):
        await harness.run(QuerySpec(limit=6), max_limit=5)
    # The key tiebreaker is always allowed.
    page = await harness.run(QuerySpec(sort=_sort(("name", ASC))), sortable=("name",))
    assert page.items == []
