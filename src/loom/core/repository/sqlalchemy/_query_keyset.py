"""Sort shapes and keyset conditions of list queries: what depends on the sort alone.

A shape (the ``ORDER BY`` with NULL placed explicitly, the base ``SELECT``, the key columns) is
built once per table, selected columns and sort. The keyset condition selects the rows strictly
after a cursor's key values, NULL counting as the largest value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from loom.core.errors import ConfigError, CursorError, FieldError
from loom.core.model import ModelInfo
from loom.core.query import SortDirection, SortSpec
from loom.core.query._fieldtypes import convert, scalar_type
from loom.core.repository.sqlalchemy._query_filters import is_nullable

TOTAL_LABEL = "_loom_total"
"""Label of the ``count(*) OVER ()`` column a plan with ``include_total`` selects (last)."""

CACHE_SIZE = 256
_CACHE_KEY = "loom.query.shapes"
AFTER = "after"
"""Prefix of the keyset parameters: ``after0``, ``after1``, ..."""


@dataclass(frozen=True, slots=True)
class _Key:
    name: str
    column: sa.Column[Any]
    descending: bool
    nullable: bool
    type: Any


@dataclass(frozen=True, slots=True)
class Shape:
    """What depends only on the table, the selected columns and the sort: built once."""

    key: tuple[Any, ...]
    columns: tuple[str, ...]
    keys: tuple[_Key, ...]
    key_positions: tuple[int, ...]
    order_by: tuple[ColumnElement[Any], ...]
    select: sa.Select[Any]
    select_with_total: sa.Select[Any]
    row_compare: bool


def shape_of(
    table: sa.Table, info: ModelInfo, sort: tuple[SortSpec, ...], columns: tuple[str, ...] | None
) -> Shape:
    cache: dict[Any, Shape] = table.info.setdefault(_CACHE_KEY, {})
    cache_key = (columns, tuple((s.field, s.direction) for s in sort))
    shape = cache.get(cache_key)
    if shape is not None:
        return shape
    keys = tuple(
        _Key(
            name=s.field,
            column=table.c[s.field],
            descending=s.direction is SortDirection.DESC,
            nullable=is_nullable(table, info, s.field),
            type=scalar_type(info.columns[s.field]),
        )
        for s in sort
    )
    names = tuple(info.columns) if columns is None else columns
    unknown = [name for name in names if name not in table.c]
    if unknown:
        raise ConfigError(
            f"cannot select {', '.join(map(repr, unknown))} from table {table.name!r} of "
            f"{info.name}; its columns are: {', '.join(table.c.keys())}"
        )
    # Key columns the caller did not ask for are selected too (after the others): the next
    # cursor is read from the last row.
    selected = names + tuple(k.name for k in keys if k.name not in names)
    clauses: list[ColumnElement[Any]] = []
    for key in keys:
        clause = key.column.desc() if key.descending else key.column.asc()
        if key.nullable:
            clause = clause.nulls_first() if key.descending else clause.nulls_last()
        clauses.append(clause)
    base = sa.select(*(table.c[name] for name in selected)).order_by(*clauses)
    shape = Shape(
        key=cache_key,
        columns=names,
        keys=keys,
        key_positions=tuple(selected.index(k.name) for k in keys),
        order_by=tuple(clauses),
        select=base,
        select_with_total=base.add_columns(sa.func.count().over().label(TOTAL_LABEL)),
        row_compare=len({k.descending for k in keys}) == 1 and not any(k.nullable for k in keys),
    )
    if len(cache) >= CACHE_SIZE:
        cache.clear()  # sort shapes come from clients; keep the cache bounded
    cache[cache_key] = shape
    return shape


def after_condition(shape: Shape, nulls: tuple[bool, ...]) -> ColumnElement[bool]:
    """Rows strictly after the row whose key values are ``after0``, ``after1``, ...

    ``nulls`` says which of those values are NULL: they compare with ``IS NULL`` and bind no
    parameter.
    """
    keys = shape.keys
    # Explicit, typed parameters: SQLAlchemy would inline True/False as constants, and
    # ``bool < True`` is refused.
    binds = [sa.bindparam(f"{AFTER}{i}", type_=k.column.type) for i, k in enumerate(keys)]
    if shape.row_compare and len(keys) > 1:
        # One direction, no NULLs: a row-value comparison, which PostgreSQL serves from an index.
        left = sa.tuple_(*(k.column for k in keys))
        right = sa.tuple_(*binds)
        return left < right if keys[0].descending else left > right
    branches: list[ColumnElement[bool]] = []
    equal: list[ColumnElement[bool]] = []
    for key, bind, null in zip(keys, binds, nulls, strict=True):
        beyond = _beyond(key, bind, null)
        if beyond is not None:
            branches.append(sa.and_(*equal, beyond) if equal else beyond)
        equal.append(key.column.is_(None) if null else key.column == bind)
    return sa.or_(*branches) if branches else sa.false()


def _beyond(key: _Key, bind: sa.BindParameter[Any], null: bool) -> ColumnElement[bool] | None:
    # NULL is the largest value: after it in ASC order comes nothing, in DESC order every
    # non-NULL; after a value in ASC order come larger values and NULLs.
    column = key.column
    beyond: ColumnElement[bool]
    if key.descending:
        beyond = column.is_not(None) if null else column < bind
    elif null:
        return None
    elif key.nullable:
        beyond = sa.or_(column > bind, column.is_(None))
    else:
        beyond = column > bind
    return beyond


def cursor_values(shape: Shape, info: ModelInfo, raw: tuple[Any, ...]) -> tuple[Any, ...]:
    # The token is signed by us for this very query, so a mismatch here means the model changed
    # (a column type, a key) since the cursor was issued.
    if len(raw) != len(shape.keys):
        raise _stale(info)
    values: list[Any] = []
    for key, value in zip(shape.keys, raw, strict=True):
        if value is None:
            if not key.nullable:
                raise _stale(info)
            values.append(None)
            continue
        try:
            values.append(convert(value, key.type))
        except msgspec.ValidationError as exc:
            raise _stale(info) from exc
    return tuple(values)


def _stale(info: ModelInfo) -> CursorError:
    return CursorError(
        f"cursor no longer fits {info.name} (its columns changed); drop the cursor to start "
        "again from the first page",
        errors=(FieldError(field="cursor", message="cursor of an older schema"),),
    )
