"""Statement templates: one cached ``SELECT`` per query shape, values as parameters."""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from loom.core.model import BaseModel, ColumnField, model_info
from loom.core.query import (
    CursorCodec,
    FilterGroup,
    FilterOp,
    FilterSpec,
    LogicalOp,
    PaginationMode,
    QuerySpec,
    SortDirection,
    SortSpec,
    query_fingerprint,
    validate_query,
)
from loom.core.repository.sqlalchemy._query import (
    _TEMPLATES_KEY,
    build_list,
    count_query,
)
from loom.core.repository.sqlalchemy._query_keyset import CACHE_SIZE


class Item(BaseModel):
    __tablename__ = "items"
    name: str
    id: int = ColumnField(primary_key=True, autoincrement=False)
    score: int | None = None
    rank: int = 0
    at: datetime | None = None


INFO = model_info(Item)
CODEC = CursorCodec(b"unit-test-secret")
LITE = sqlite.aiosqlite.dialect()
PG = postgresql.asyncpg.dialect()  # type: ignore[no-untyped-call]  # untyped in SQLAlchemy


def _table() -> sa.Table:
    return sa.Table(
        "items",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("score", sa.Integer, nullable=True),
        sa.Column("rank", sa.Integer, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=True),
    )


def _where(*specs: FilterSpec, op: LogicalOp = LogicalOp.AND) -> FilterGroup:
    return FilterGroup(filters=specs, op=op)


def _cursor(query: QuerySpec, values: tuple[object, ...]) -> QuerySpec:
    fingerprint = query_fingerprint("Item", validate_query(query, INFO))
    return QuerySpec(
        filters=query.filters,
        sort=query.sort,
        pagination=PaginationMode.CURSOR,
        limit=query.limit,
        cursor=CODEC.encode("Item", fingerprint, values),
    )


_BY_SCORE = (SortSpec(field="score", direction=SortDirection.DESC),)
_CURSOR = QuerySpec(sort=_BY_SCORE, pagination=PaginationMode.CURSOR, limit=5)

SAME_SHAPE = [
    pytest.param(
        QuerySpec(filters=_where(FilterSpec(field="name", value="a")), limit=10),
        QuerySpec(filters=_where(FilterSpec(field="name", value="b")), limit=20),
        id="eq value and limit",
    ),
    pytest.param(
        QuerySpec(limit=10, page=2, include_total=True),
        QuerySpec(limit=5, page=9, include_total=True),
        id="offset pages past the first",
    ),
    pytest.param(
        QuerySpec(filters=_where(FilterSpec(field="rank", op=FilterOp.IN, value=[1, 2]))),
        QuerySpec(filters=_where(FilterSpec(field="rank", op=FilterOp.IN, value=[1, 2, 3]))),
        id="in lists of different lengths (one expanding parameter)",
    ),
    pytest.param(
        QuerySpec(filters=_where(FilterSpec(field="name", op=FilterOp.CONTAINS, value="x"))),
        QuerySpec(filters=_where(FilterSpec(field="name", op=FilterOp.CONTAINS, value="%y"))),
        id="contains",
    ),
    pytest.param(_cursor(_CURSOR, (3, 1)), _cursor(_CURSOR, (8, 4)), id="cursor values"),
]


@pytest.mark.parametrize(("first", "second"), SAME_SHAPE)
def test_queries_of_one_shape_share_the_statement_and_differ_in_params(
    first: QuerySpec, second: QuerySpec
) -> None:
    table = _table()
    one = build_list(table, INFO, first, codec=CODEC)
    two = build_list(table, INFO, second, codec=CODEC)
    assert one.template is two.template
    assert one.params != two.params
    assert str(one.statement.compile(dialect=LITE)) == str(two.statement.compile(dialect=LITE))


DIFFERENT_SHAPES = [
    pytest.param(
        QuerySpec(filters=_where(FilterSpec(field="name", value="a"))),
        QuerySpec(filters=_where(FilterSpec(field="rank", value=1))),
        id="field",
    ),
    pytest.param(
        QuerySpec(filters=_where(FilterSpec(field="rank", op=FilterOp.GT, value=1))),
        QuerySpec(filters=_where(FilterSpec(field="rank", op=FilterOp.GTE, value=1))),
        id="operator",
    ),
    pytest.param(
        QuerySpec(filters=_where(FilterSpec(field="score", value=1))),
        QuerySpec(filters=_where(FilterSpec(field="score", value=None))),
        id="eq value or eq null",
    ),
    pytest.param(
        QuerySpec(filters=_where(FilterSpec(field="score", op=FilterOp.IS_NULL, value=True))),
        QuerySpec(filters=_where(FilterSpec(field="score", op=FilterOp.IS_NULL, value=False))),
        id="is_null flag",
    ),
    pytest.param(
        QuerySpec(
            filters=_where(FilterSpec(field="rank", value=1), FilterSpec(field="id", value=2))
        ),
        QuerySpec(
            filters=_where(
                FilterSpec(field="rank", value=1), FilterSpec(field="id", value=2), op=LogicalOp.OR
            )
        ),
        id="and or or",
    ),
    pytest.param(QuerySpec(page=1), QuerySpec(page=2), id="offset or none"),
    pytest.param(QuerySpec(), QuerySpec(include_total=True), id="include_total"),
    pytest.param(QuerySpec(), QuerySpec(sort=_BY_SCORE), id="sort"),
    pytest.param(_CURSOR, _cursor(_CURSOR, (3, 1)), id="first cursor page or later"),
    pytest.param(_cursor(_CURSOR, (3, 1)), _cursor(_CURSOR, (None, 1)), id="null cursor key"),
]


@pytest.mark.parametrize(("first", "second"), DIFFERENT_SHAPES)
def test_queries_of_different_shapes_get_different_statements(
    first: QuerySpec, second: QuerySpec
) -> None:
    table = _table()
    one = build_list(table, INFO, first, codec=CODEC)
    two = build_list(table, INFO, second, codec=CODEC)
    assert one.template is not two.template
    # PostgreSQL's SQL shows every difference (SQLite writes OFFSET even without one).
    assert str(one.template.compile(dialect=PG)) != str(two.template.compile(dialect=PG))


def test_params_carry_every_value_of_the_query() -> None:
    group = _where(
        FilterSpec(field="rank", op=FilterOp.BETWEEN, value=["1", "5"]),
        FilterSpec(field="name", op=FilterOp.STARTSWITH, value="a_"),
        FilterSpec(field="score", value=None),
    )
    plan = build_list(_table(), INFO, QuerySpec(filters=group, limit=10, page=3), codec=CODEC)
    assert plan.params == {
        "f0": 1,
        "f1": 5,
        "f2": "a\\_%",
        "f3": "a_*",
        "limit": 11,
        "offset": 20,
    }


def test_templates_are_per_table() -> None:
    query = QuerySpec(filters=_where(FilterSpec(field="name", value="a")))
    one = build_list(_table(), INFO, query, codec=CODEC)
    two = build_list(_table(), INFO, query, codec=CODEC)
    assert one.template is not two.template


def test_count_query_is_shared_by_a_shape_and_by_list_plans() -> None:
    table = _table()
    first, first_params = count_query(table, INFO, _where(FilterSpec(field="rank", value=1)))
    second, second_params = count_query(table, INFO, _where(FilterSpec(field="rank", value="2")))
    assert first is second
    assert (first_params, second_params) == ({"f0": 1}, {"f0": 2})
    everything, params = count_query(table, INFO, None)
    assert params == {}
    assert count_query(table, INFO, None)[0] is everything
    query = QuerySpec(filters=_where(FilterSpec(field="rank", value=3)), page=2)
    plan = build_list(table, INFO, query, codec=CODEC)
    assert str(plan.count_template.compile(dialect=LITE)) == str(first.compile(dialect=LITE))
    assert plan.params["f0"] == 3


def test_the_template_cache_is_bounded() -> None:
    table = _table()
    first = build_list(table, INFO, QuerySpec(), codec=CODEC).template
    # Each query has one more condition than the last: a new shape every time.
    for n in range(1, CACHE_SIZE + 10):
        specs = (FilterSpec(field="rank", op=FilterOp.GT, value=n),) * n
        build_list(table, INFO, QuerySpec(filters=_where(*specs)), codec=CODEC)
        assert len(table.info[_TEMPLATES_KEY]) <= CACHE_SIZE
    assert build_list(table, INFO, QuerySpec(), codec=CODEC).template is not first
