"""Every filter operator, nested groups and LIKE semantics, equal on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
import sqlalchemy as sa

from loom.core.query import FilterGroup, FilterOp, FilterSpec, LogicalOp, PageResult, QuerySpec
from loom.core.repository.sqlalchemy._query import build_list, compile_filters
from tests.integration.query.conftest import INFO, Harness

U1 = UUID("00000000-0000-0000-0000-000000000001")

ROWS: list[dict[str, Any]] = [
    {"id": 1, "name": "Apple", "score": 10, "label": "red", "active": True,
     "created_at": datetime(2024, 1, 1, tzinfo=UTC), "code": U1},
    {"id": 2, "name": "apple pie", "score": 20, "label": None, "active": False,
     "created_at": datetime(2024, 2, 1, tzinfo=UTC)},
    {"id": 3, "name": "Banana", "score": None, "label": "Yellow", "active": True},
    {"id": 4, "name": "50% off", "score": 5, "label": "a_b", "active": True,
     "created_at": datetime(2024, 3, 1, tzinfo=UTC)},
    {"id": 5, "name": "back\\slash", "score": 30, "label": "Zoë", "active": False,
     "created_at": datetime(2024, 1, 15, tzinfo=UTC)},
    {"id": 6, "name": "star*?[x]", "score": 20, "label": "zoë", "active": True},
]  # fmt: skip


async def _ids(h: Harness, filters: FilterGroup) -> list[int]:
    result = await h.run(QuerySpec(filters=filters, limit=100))
    assert isinstance(result, PageResult)
    return sorted(result.items)


async def _where(h: Harness, field: str, op: FilterOp, value: Any) -> list[int]:
    return await _ids(h, FilterGroup(filters=(FilterSpec(field=field, op=op, value=value),)))


@pytest.mark.parametrize(
    ("field", "op", "value", "expected"),
    [
        ("score", FilterOp.EQ, "20", [2, 6]),
        ("label", FilterOp.EQ, None, [2]),
        ("score", FilterOp.NE, 20, [1, 3, 4, 5]),  # NULL differs from 20
        ("label", FilterOp.NE, None, [1, 3, 4, 5, 6]),
        ("active", FilterOp.NE, True, [2, 5]),
        ("score", FilterOp.GT, 10, [2, 5, 6]),
        ("score", FilterOp.GTE, 10, [1, 2, 5, 6]),
        ("score", FilterOp.LT, 10, [4]),
        ("score", FilterOp.LTE, 10, [1, 4]),
        ("created_at", FilterOp.GTE, "2024-01-15T00:00:00Z", [2, 4, 5]),
        ("created_at", FilterOp.LT, "2024-01-15T02:00:00+02:00", [1]),
        ("score", FilterOp.IN, [5, "30", 99], [4, 5]),
        ("score", FilterOp.NOT_IN, [5, 30], [1, 2, 3, 6]),  # NULL is not in the list
        ("score", FilterOp.BETWEEN, [10, 20], [1, 2, 6]),
        ("created_at", FilterOp.BETWEEN, ["2024-01-01", "2024-02-01"], [1, 2, 5]),
        ("score", FilterOp.IS_NULL, True, [3]),
        ("score", FilterOp.IS_NULL, "false", [1, 2, 4, 5, 6]),
        ("code", FilterOp.EQ, str(U1), [1]),
        ("code", FilterOp.IS_NULL, False, [1]),
        ("name", FilterOp.LIKE, "%pple%", [1, 2]),
        ("name", FilterOp.LIKE, "apple%", [2]),  # case-sensitive on both backends
        ("name", FilterOp.LIKE, "A____", [1]),
        ("name", FilterOp.LIKE, "50\\% off", [4]),
        ("name", FilterOp.LIKE, "%\\\\%", [5]),
        ("name", FilterOp.LIKE, "star*?[x]", [6]),  # glob characters are literal in LIKE
        ("name", FilterOp.LIKE, "st_r%", [6]),
        ("name", FilterOp.ILIKE, "APPLE%", [1, 2]),
        ("label", FilterOp.ILIKE, "y%", [3]),
        ("label", FilterOp.ILIKE, "zoë", [5, 6]),  # ASCII folds everywhere; 'ë' matches as is
        ("name", FilterOp.STARTSWITH, "Apple", [1]),
        ("name", FilterOp.STARTSWITH, "50%", [4]),
        ("name", FilterOp.STARTSWITH, "5_", []),
        ("name", FilterOp.STARTSWITH, "star*", [6]),
        ("name", FilterOp.CONTAINS, "pple", [1, 2]),
        ("name", FilterOp.CONTAINS, "%", [4]),
        ("name", FilterOp.CONTAINS, "_", []),
        ("name", FilterOp.CONTAINS, "\\", [5]),
        ("name", FilterOp.CONTAINS, "?[x", [6]),
        ("label", FilterOp.CONTAINS, "_", [4]),
        ("label", FilterOp.CONTAINS, "ë", [5, 6]),
    ],
)
async def test_every_operator(
    harness: Harness, field: str, op: FilterOp, value: Any, expected: list[int]
) -> None:
    await harness.insert(ROWS)
    assert await _where(harness, field, op, value) == expected


async def test_nested_and_or_groups(harness: Harness) -> None:
    await harness.insert(ROWS)
    # active AND (score >= 20 OR (label IS NULL OR name startswith 'Ban'))
    inner = FilterGroup(
        filters=(
            FilterSpec(field="label", op=FilterOp.IS_NULL, value=True),
            FilterSpec(field="name", op=FilterOp.STARTSWITH, value="Ban"),
        ),
        op=LogicalOp.OR,
    )
    middle = FilterGroup(
        filters=(FilterSpec(field="score", op=FilterOp.GTE, value=20),),
        op=LogicalOp.OR,
        groups=(inner,),
    )
    group = FilterGroup(filters=(FilterSpec(field="active", value=True),), groups=(middle,))
    assert await _ids(harness, group) == [3, 6]
    either = FilterGroup(
        op=LogicalOp.OR,
        groups=(
            FilterGroup(
                filters=(FilterSpec(field="id", value=1), FilterSpec(field="score", value=10))
            ),
            FilterGroup(
                filters=(FilterSpec(field="id", value=2), FilterSpec(field="score", value=99))
            ),
        ),
    )
    assert await _ids(harness, either) == [1]


async def test_user_text_is_bound_never_sql(harness: Harness) -> None:
    await harness.insert(ROWS)
    evil = "x'; DROP TABLE items; --"
    assert await _where(harness, "name", FilterOp.EQ, evil) == []
    assert await _where(harness, "name", FilterOp.CONTAINS, evil) == []
    plan = build_list(
        harness.table,
        INFO,
        QuerySpec(filters=FilterGroup(filters=(FilterSpec(field="name", value=evil),))),
        codec=harness.codec,
    )
    assert evil not in str(plan.statement.compile(harness.engine))
    assert len(await harness.ids(sa.select(harness.table))) == len(ROWS)


async def test_compile_filters_validates_and_compiles(harness: Harness) -> None:
    await harness.insert(ROWS)
    where = compile_filters(
        harness.table, INFO, FilterGroup(filters=(FilterSpec(field="score", value="20"),))
    )
    assert where is not None
    ids = await harness.ids(sa.select(harness.table).where(where).order_by(harness.table.c.id))
    assert ids == [2, 6]
    assert compile_filters(harness.table, INFO, None) is None
