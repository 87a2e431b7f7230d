"""The SQL the query compiler writes, per dialect (no database needed)."""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from loom.core.errors import ConfigError
from loom.core.model import BaseModel, ColumnField, model_info
from loom.core.query import (
    CursorCodec,
    FilterGroup,
    FilterOp,
    FilterSpec,
    PaginationMode,
    QuerySpec,
    SortDirection,
    SortSpec,
    query_fingerprint,
    validate_query,
)
from loom.core.repository.sqlalchemy._query import build_list, order_by
from loom.core.repository.sqlalchemy._query_like import escape_like, like_to_glob


class Row(BaseModel):
    __tablename__ = "rows"
    name: str
    id: int = ColumnField(primary_key=True, autoincrement=False)
    score: int | None = None
    rank: int = 0
    at: datetime | None = None


INFO = model_info(Row)
CODEC = CursorCodec(b"unit-test-secret")
PG = postgresql.asyncpg.dialect()  # type: ignore[no-untyped-call]  # untyped in SQLAlchemy
LITE = sqlite.aiosqlite.dialect()


def _table() -> sa.Table:
    return sa.Table(
        "rows",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("score", sa.Integer, nullable=True),
        sa.Column("rank", sa.Integer, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=True),
    )


def _sql(stmt: sa.ClauseElement, dialect: sa.engine.Dialect) -> str:
    return " ".join(str(stmt.compile(dialect=dialect)).split())


@pytest.mark.parametrize(
    ("text", "escaped"),
    [("50%", "50\\%"), ("a_b", "a\\_b"), ("back\\slash", "back\\\\slash"), ("plain", "plain")],
)
def test_escape_like(text: str, escaped: str) -> None:
    assert escape_like(text) == escaped


@pytest.mark.parametrize(
    ("pattern", "glob"),
    [
        ("a%", "a*"),
        ("_b_", "?b?"),
        ("50\\%", "50%"),
        ("a\\_b", "a_b"),
        ("x\\\\y", "x\\y"),
        ("star*?[x]", "star[*][?][[]x]"),
        ("\\*", "[*]"),
        ("Zoë%", "Zoë*"),
    ],
)
def test_like_to_glob(pattern: str, glob: str) -> None:
    assert like_to_glob(pattern) == glob


def test_order_by_makes_null_the_largest_value_on_both_dialects() -> None:
    table = _table()
    sort = (
        SortSpec(field="score", direction=SortDirection.ASC),
        SortSpec(field="at", direction=SortDirection.DESC),
        SortSpec(field="rank", direction=SortDirection.DESC),
    )
    stmt = sa.select(table.c.id).order_by(*order_by(table, INFO, sort))
    expected = (
        "ORDER BY rows.score ASC NULLS LAST, rows.at DESC NULLS FIRST, rows.rank DESC, rows.id ASC"
    )
    assert _sql(stmt, PG).endswith(expected)
    assert _sql(stmt, LITE).endswith(expected)


def test_order_by_is_built_once_per_table_and_sort() -> None:
    table = _table()
    sort = (SortSpec(field="score"),)
    first, second = order_by(table, INFO, sort), order_by(table, INFO, sort)
    assert all(a is b for a, b in zip(first, second, strict=True))
    assert order_by(_table(), INFO, sort)[0] is not first[0]


def test_text_operators_per_dialect() -> None:
    table = _table()
    group = FilterGroup(
        filters=(
            FilterSpec(field="name", op=FilterOp.STARTSWITH, value="5%"),
            FilterSpec(field="name", op=FilterOp.ILIKE, value="ab%"),
        )
    )
    plan = build_list(table, INFO, QuerySpec(filters=group), codec=CODEC)
    pg = plan.statement.compile(dialect=PG)
    lite = plan.statement.compile(dialect=LITE)
    assert "rows.name LIKE $1::VARCHAR ESCAPE '\\'" in str(pg)
    assert "lower(rows.name) LIKE lower($2::VARCHAR) ESCAPE '\\'" in str(pg)
    assert "rows.name GLOB ?" in str(lite)
    assert "= 1" not in str(lite)
    assert list(pg.params.values())[:2] == ["5\\%%", "ab%"]
    assert list(lite.params.values())[:2] == ["5%*", "ab%"]


def test_offset_statement_fetches_one_extra_row_and_counts_in_a_window() -> None:
    table = _table()
    plan = build_list(table, INFO, QuerySpec(limit=10, page=3, include_total=True), codec=CODEC)
    sql = _sql(plan.statement, LITE)
    assert "count(*) OVER () AS _loom_total" in sql
    assert sql.endswith("ORDER BY rows.id ASC LIMIT ? OFFSET ?")
    assert list(plan.statement.compile(dialect=LITE).params.values()) == [11, 20]


def _cursor_query(sort: tuple[SortSpec, ...], values: tuple[object, ...]) -> QuerySpec:
    query = QuerySpec(sort=sort, pagination=PaginationMode.CURSOR, limit=5)
    fingerprint = query_fingerprint("Row", validate_query(query, INFO))
    return QuerySpec(
        sort=sort,
        pagination=PaginationMode.CURSOR,
        limit=5,
        cursor=CODEC.encode("Row", fingerprint, values),
    )


def test_keyset_on_non_null_keys_of_one_direction_is_a_row_comparison() -> None:
    sort = (
        SortSpec(field="rank", direction=SortDirection.DESC),
        SortSpec(field="id", direction=SortDirection.DESC),
    )
    query = _cursor_query(sort, (3, 7))
    sql = _sql(build_list(_table(), INFO, query, codec=CODEC).statement, PG)
    assert "WHERE (rows.rank, rows.id) < ($1::INTEGER, $2::INTEGER)" in sql


@pytest.mark.parametrize(
    ("direction", "value", "where"),
    [
        (
            SortDirection.ASC,
            4,
            "WHERE rows.score > ? OR rows.score IS NULL OR rows.score = ? AND rows.id > ?",
        ),
        (SortDirection.ASC, None, "WHERE rows.score IS NULL AND rows.id > ?"),
        (SortDirection.DESC, 4, "WHERE rows.score < ? OR rows.score = ? AND rows.id > ?"),
        (
            SortDirection.DESC,
            None,
            "WHERE rows.score IS NOT NULL OR rows.score IS NULL AND rows.id > ?",
        ),
    ],
)
def test_keyset_on_a_nullable_key(direction: SortDirection, value: int | None, where: str) -> None:
    query = _cursor_query((SortSpec(field="score", direction=direction),), (value, 9))
    sql = _sql(build_list(_table(), INFO, query, codec=CODEC).statement, LITE)
    assert where in sql


def test_selecting_an_unknown_column_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as caught:
        build_list(_table(), INFO, QuerySpec(), codec=CODEC, columns=("id", "nmae"))
    assert caught.value.message == (
        "cannot select 'nmae' from table 'rows' of Row; its columns are: id, name, score, rank, at"
    )


def test_a_column_nullable_in_the_table_is_treated_as_nullable() -> None:
    table = _table()
    table.c.rank.nullable = True  # the model says NOT NULL; the table disagrees
    clauses = order_by(table, INFO, (SortSpec(field="rank"),))
    assert _sql(sa.select(table.c.id).order_by(*clauses), LITE).endswith(
        "ORDER BY rows.rank ASC NULLS LAST, rows.id ASC"
    )
