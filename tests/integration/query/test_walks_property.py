"""Property: cursor walk == offset walk == the database's own ORDER BY, for random data.

The data has duplicate sort values, NULLs, mixed case and non-ASCII text; the queries have
random filters and direction mixes. The reference is one unpaginated SELECT with the same
WHERE and ORDER BY, so collations are the database's own on both sides.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from loom.core.query import (
    CursorResult,
    FilterGroup,
    FilterOp,
    FilterSpec,
    LogicalOp,
    PageResult,
    PaginationMode,
    QuerySpec,
    SortDirection,
    SortSpec,
)
from loom.core.repository.sqlalchemy._query import compile_filters, order_by
from tests.integration.query.conftest import INFO, Harness

T0 = datetime(2024, 1, 1, tzinfo=UTC)
TEXT = st.text(alphabet=st.sampled_from("aAbBzZéÉüÜ _%*\\"), max_size=3)
PATTERN = st.text(alphabet=st.sampled_from("aAbBéÉ_%"), max_size=3)

ROW = st.fixed_dictionaries(
    {
        "name": TEXT,
        "score": st.none() | st.integers(-2, 2),
        "label": st.none() | TEXT,
        "active": st.booleans(),
        "created_at": st.none() | st.sampled_from([T0 + timedelta(hours=h) for h in range(3)]),
    }
)

SMALL_INT = st.integers(-2, 2)
SPEC = st.one_of(
    st.builds(
        FilterSpec,
        field=st.just("score"),
        op=st.sampled_from([FilterOp.EQ, FilterOp.NE, FilterOp.GT, FilterOp.LTE]),
        value=SMALL_INT,
    ),
    st.builds(
        FilterSpec,
        field=st.just("score"),
        op=st.sampled_from([FilterOp.IN, FilterOp.NOT_IN]),
        value=st.lists(SMALL_INT, min_size=1, max_size=3),
    ),
    st.builds(
        FilterSpec,
        field=st.just("score"),
        op=st.just(FilterOp.BETWEEN),
        value=st.tuples(SMALL_INT, SMALL_INT),
    ),
    st.builds(
        FilterSpec,
        field=st.sampled_from(["score", "label", "created_at"]),
        op=st.just(FilterOp.IS_NULL),
        value=st.booleans(),
    ),
    st.builds(
        FilterSpec,
        field=st.sampled_from(["name", "label"]),
        op=st.sampled_from([FilterOp.LIKE, FilterOp.ILIKE]),
        value=PATTERN,
    ),
    st.builds(
        FilterSpec,
        field=st.sampled_from(["name", "label"]),
        op=st.sampled_from([FilterOp.STARTSWITH, FilterOp.CONTAINS]),
        value=TEXT,
    ),
    st.builds(FilterSpec, field=st.just("active"), op=st.just(FilterOp.EQ), value=st.booleans()),
    st.builds(
        FilterSpec,
        field=st.just("created_at"),
        op=st.sampled_from([FilterOp.GT, FilterOp.LTE]),
        value=st.sampled_from(["2024-01-01T01:00:00Z", "2024-01-01"]),
    ),
)
LEAF_GROUP = st.builds(
    FilterGroup,
    filters=st.lists(SPEC, min_size=1, max_size=2).map(tuple),
    op=st.sampled_from(LogicalOp),
)
GROUP = st.builds(
    FilterGroup,
    filters=st.lists(SPEC, max_size=2).map(tuple),
    op=st.sampled_from(LogicalOp),
    groups=st.lists(LEAF_GROUP, max_size=2).map(tuple),
)


@st.composite
def sorts(draw: st.DrawFn) -> tuple[SortSpec, ...]:
    fields = draw(st.permutations(["score", "label", "active", "created_at", "name", "id"]))
    count = draw(st.integers(0, 3))
    return tuple(
        SortSpec(field=f, direction=draw(st.sampled_from(SortDirection))) for f in fields[:count]
    )


async def _offset_walk(h: Harness, query: QuerySpec, expected_total: int) -> list[int]:
    ids: list[int] = []
    page = 1
    while True:
        result = await h.run(msgspec.structs.replace(query, page=page, include_total=True))
        assert isinstance(result, PageResult)
        assert result.total_count == expected_total
        ids.extend(result.items)
        if not result.has_next:
            return ids
        assert len(result.items) == query.limit
        page += 1


async def _cursor_walk(h: Harness, query: QuerySpec) -> list[int]:
    ids: list[int] = []
    cursor: str | None = None
    while True:
        query = msgspec.structs.replace(query, pagination=PaginationMode.CURSOR, cursor=cursor)
        result = await h.run(query)
        assert isinstance(result, CursorResult)
        ids.extend(result.items)
        if result.next_cursor is None:
            assert not result.has_next
            return ids
        assert len(result.items) == query.limit
        cursor = result.next_cursor


@given(
    rows=st.lists(ROW, max_size=18),
    filters=st.none() | GROUP,
    sort=sorts(),
    limit=st.integers(1, 4),
)
async def test_cursor_walk_equals_offset_walk_equals_database_order(
    harness: Harness,
    rows: list[dict[str, Any]],
    filters: FilterGroup | None,
    sort: tuple[SortSpec, ...],
    limit: int,
) -> None:
    table = harness.table
    async with harness.engine.begin() as conn:
        await conn.execute(sa.delete(table))
    # Ids out of insertion order, so the key tiebreaker is not the physical order.
    await harness.insert([{**row, "id": (i * 7) % 101} for i, row in enumerate(rows, 1)])
    where = compile_filters(table, INFO, filters)
    reference_stmt = sa.select(table.c.id).order_by(*order_by(table, INFO, sort))
    if where is not None:
        reference_stmt = reference_stmt.where(where)
    reference = await harness.ids(reference_stmt)

    query = QuerySpec(filters=filters, sort=sort, limit=limit)
    assert await _offset_walk(harness, query, len(reference)) == reference
    assert await _cursor_walk(harness, query) == reference
