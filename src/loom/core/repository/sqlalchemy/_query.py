"""The query compiler: a :class:`QuerySpec` becomes one ``SELECT`` on a model's table.

:func:`build_list` validates the query (:func:`loom.core.query.validate_query`), compiles the
filters, the ``ORDER BY`` and the page, and returns a :class:`ListPlan`: the statement to run,
its parameters, and :meth:`ListPlan.finish`, which turns the fetched rows into a
:class:`PageResult` or a :class:`CursorResult`. One list call is one statement:

* Offset pages fetch ``limit + 1`` rows to learn ``has_next``; with ``include_total`` the
  statement also selects ``count(*) OVER ()`` (labelled :data:`TOTAL_LABEL`).
* Cursor pages are keyset pages on the sort keys plus the primary key, so rows sharing a sort
  value are neither skipped nor repeated, and rows inserted or deleted between pages do not
  shift the rows after the cursor.

NULL sorts as the largest value on every backend: ``ASC NULLS LAST``, ``DESC NULLS FIRST``
(PostgreSQL's default; SQLite needs it spelled out). Filters follow SQL: ``gt``/``lt`` never
match NULL.

Statements are templates: every value (filter values, cursor keys, limit, offset) is a named
bound parameter, and the statement is cached in ``table.info`` by the query's *shape* (selected
columns, sort, the fields and operators of the filter tree, which values are NULL, pagination
mode, cursor or not, ``include_total``, offset or not). A list call then only validates the
query and collects the values; SQLAlchemy computes the statement's cache key once (it is
memoized on the object) and then finds its compiled form at once. Both caches are bounded:
shapes come from clients.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import msgspec
import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from loom.core.errors import ConfigError, CursorError, FieldError
from loom.core.model import ModelInfo
from loom.core.query import (
    CursorCodec,
    CursorResult,
    FilterGroup,
    PageResult,
    PaginationMode,
    QuerySpec,
    SortDirection,
    SortSpec,
    query_fingerprint,
    validate_filters,
    validate_query,
)
from loom.core.query._fieldtypes import convert, scalar_type
from loom.core.query._spec import MAX_LIMIT
from loom.core.repository.sqlalchemy._query_filters import bind_group, compile_group, is_nullable

T = TypeVar("T")

TOTAL_LABEL = "_loom_total"
"""Label of the ``count(*) OVER ()`` column a plan with ``include_total`` selects (last)."""

_CACHE_KEY = "loom.query.shapes"
_TEMPLATES_KEY = "loom.query.templates"
_CACHE_SIZE = 256

# Parameter names of the templates; filters take f0, f1, ... (see _query_filters).
_AFTER = "after"
_LIMIT = "limit"
_OFFSET = "offset"
_COUNT = "count"


def compile_filters(
    table: sa.Table, info: ModelInfo, group: FilterGroup | None
) -> ColumnElement[bool] | None:
    """Validate a filter group and compile it into a ``WHERE`` expression.

    Args:
        table: The model's table.
        info: The model's introspection record.
        group: The conditions (every column may be filtered on).

    Returns:
        The expression, or ``None`` when the group constrains nothing.

    Raises:
        QueryError: When a field, operator or value does not fit the model.
    """
    checked = validate_filters(group, info)
    if checked is None:
        return None
    params: dict[str, Any] = {}
    bind_group(checked, params)
    return compile_group(table, info, checked, params)


def order_by(
    table: sa.Table, info: ModelInfo, sort: Sequence[SortSpec]
) -> list[ColumnElement[Any]]:
    """The ``ORDER BY`` clauses of a sort, primary key appended, NULL sorting as largest.

    Args:
        table: The model's table.
        info: The model's introspection record.
        sort: The sort keys (every column may be sorted on).

    Returns:
        The clauses, ready for ``select(...).order_by(*clauses)``.

    Raises:
        QueryError: When a sort field is not a sortable column.
    """
    checked = validate_query(QuerySpec(sort=tuple(sort)), info)
    return list(_shape(table, info, checked.sort, None).order_by)


@dataclass(frozen=True, slots=True)
class _Key:
    name: str
    column: sa.Column[Any]
    descending: bool
    nullable: bool
    type: Any


@dataclass(frozen=True, slots=True)
class _Shape:
    """What depends only on the table, the selected columns and the sort: built once."""

    key: tuple[Any, ...]
    columns: tuple[str, ...]
    keys: tuple[_Key, ...]
    key_positions: tuple[int, ...]
    order_by: tuple[ColumnElement[Any], ...]
    select: sa.Select[Any]
    select_with_total: sa.Select[Any]
    row_compare: bool


def _shape(
    table: sa.Table, info: ModelInfo, sort: tuple[SortSpec, ...], columns: tuple[str, ...] | None
) -> _Shape:
    cache: dict[Any, _Shape] = table.info.setdefault(_CACHE_KEY, {})
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
    shape = _Shape(
        key=cache_key,
        columns=names,
        keys=keys,
        key_positions=tuple(selected.index(k.name) for k in keys),
        order_by=tuple(clauses),
        select=base,
        select_with_total=base.add_columns(sa.func.count().over().label(TOTAL_LABEL)),
        row_compare=len({k.descending for k in keys}) == 1 and not any(k.nullable for k in keys),
    )
    if len(cache) >= _CACHE_SIZE:
        cache.clear()  # sort shapes come from clients; keep the cache bounded
    cache[cache_key] = shape
    return shape


def _after(shape: _Shape, nulls: tuple[bool, ...]) -> ColumnElement[bool]:
    """Rows strictly after the row whose key values are ``after0``, ``after1``, ...

    ``nulls`` says which of those values are NULL: they compare with ``IS NULL`` and bind no
    parameter.
    """
    keys = shape.keys
    # Explicit, typed parameters: SQLAlchemy would inline True/False as constants, and
    # ``bool < True`` is refused.
    binds = [sa.bindparam(f"{_AFTER}{i}", type_=k.column.type) for i, k in enumerate(keys)]
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


@dataclass(frozen=True, slots=True)
class _Template:
    """The statement of one query shape, with named parameters and no values."""

    statement: sa.Select[Any]
    count: sa.Select[Any]  # SELECT count(*) under the same filters, for pages past the end


def _remember(templates: dict[Any, _Template], key: Any, template: _Template) -> None:
    if len(templates) >= _CACHE_SIZE:
        templates.clear()  # shapes come from clients; keep the cache bounded
    templates[key] = template


def _count_select(table: sa.Table, where: ColumnElement[bool] | None) -> sa.Select[Any]:
    stmt = sa.select(sa.func.count()).select_from(table)
    return stmt if where is None else stmt.where(where)


def _build_template(
    table: sa.Table,
    info: ModelInfo,
    shape: _Shape,
    query: QuerySpec,
    after_nulls: tuple[bool, ...] | None,
) -> _Template:
    where = None if query.filters is None else compile_group(table, info, query.filters)
    conditions = [] if where is None else [where]
    if query.pagination is PaginationMode.CURSOR:
        stmt = shape.select
        if after_nulls is not None:
            conditions.append(_after(shape, after_nulls))
    else:
        stmt = shape.select_with_total if query.include_total else shape.select
        if query.page > 1:
            stmt = stmt.offset(sa.bindparam(_OFFSET, type_=sa.Integer()))
    stmt = stmt.limit(sa.bindparam(_LIMIT, type_=sa.Integer()))
    if conditions:
        stmt = stmt.where(*conditions)
    return _Template(statement=stmt, count=_count_select(table, where))


@dataclass(frozen=True, slots=True)
class ListPlan:
    """One list query, compiled: run :attr:`template` with :attr:`params`, then :meth:`finish`.

    Attributes:
        template: The ``SELECT``, with named parameters and no values; the very same object for
            every query of the same shape, so SQLAlchemy finds it in its compiled cache at once.
            Its columns are :attr:`columns`, then any sort-key columns not among them, then
            (with ``include_total``) :data:`TOTAL_LABEL`.
        params: The values of :attr:`template`'s parameters for this query.
        query: The validated, normalized query (effective sort included).
        columns: The item columns, in the order selected.
    """

    template: sa.Select[Any]
    params: dict[str, Any]
    query: QuerySpec
    columns: tuple[str, ...]
    _shape: _Shape
    _count: sa.Select[Any]
    _model_name: str
    _fingerprint: bytes | None
    _codec: CursorCodec

    @property
    def statement(self) -> sa.Select[Any]:
        """:attr:`template` with :attr:`params` bound into it (a new statement each time)."""
        return self.template.params(self.params)

    @property
    def count_template(self) -> sa.Select[Any]:
        """``SELECT count(*)`` of every matching row, run with :attr:`params`.

        See :meth:`needs_count`.
        """
        return self._count

    @property
    def count_statement(self) -> sa.Select[Any]:
        """:attr:`count_template` with :attr:`params` bound into it."""
        return self._count.params(self.params)

    def needs_count(self, rows: Sequence[sa.Row[Any]]) -> bool:
        """Whether the total asked for cannot be read from ``rows``.

        ``count(*) OVER ()`` rides on the rows, so a page past the end (no rows, page > 1)
        carries no count. The caller may then run :attr:`count_template` and pass the result
        to :meth:`finish` (a second statement, only for such pages); otherwise
        ``total_count`` is ``None`` on that page.
        """
        q = self.query
        return q.include_total and q.pagination is PaginationMode.OFFSET and not rows and q.page > 1

    def finish(
        self,
        rows: Sequence[sa.Row[Any]],
        to_item: Callable[[sa.Row[Any]], T],
        *,
        total: int | None = None,
    ) -> PageResult[T] | CursorResult[T]:
        """Turn the fetched rows into the page.

        Args:
            rows: Every row :attr:`statement` returned.
            to_item: Converts one row into an output item.
            total: The result of :attr:`count_statement`, when :meth:`needs_count` said so.

        Returns:
            A :class:`PageResult` (offset) or a :class:`CursorResult` (cursor).
        """
        limit = self.query.limit
        has_next = len(rows) > limit
        page_rows = rows[:limit]
        items = [to_item(row) for row in page_rows]
        if self.query.pagination is PaginationMode.CURSOR:
            next_cursor = None
            if has_next:
                last = page_rows[-1]
                values = tuple(last[i] for i in self._shape.key_positions)
                assert self._fingerprint is not None  # set for every cursor plan
                next_cursor = self._codec.encode(self._model_name, self._fingerprint, values)
            return CursorResult(items=items, next_cursor=next_cursor, has_next=has_next)
        total_count: int | None = None
        if self.query.include_total:
            if rows:
                total_count = int(rows[0][-1])
            elif self.query.page == 1:
                total_count = 0
            else:
                total_count = total
        return PageResult(
            items=items,
            total_count=total_count,
            page=self.query.page,
            limit=limit,
            has_next=has_next,
        )


def build_list(
    table: sa.Table,
    info: ModelInfo,
    query: QuerySpec,
    *,
    codec: CursorCodec,
    filterable: Collection[str] | None = None,
    sortable: Collection[str] | None = None,
    max_limit: int = MAX_LIMIT,
    columns: Sequence[str] | None = None,
) -> ListPlan:
    """Validate and compile a list query into one ``SELECT``.

    Args:
        table: The model's table (columns named like the model's fields).
        info: The model's introspection record.
        query: The query as received.
        codec: Signs and checks cursors.
        filterable: Fields that may be filtered on (the REST allowlist); ``None``: all.
        sortable: Fields that may be sorted on; ``None``: all.
        max_limit: The largest page size accepted.
        columns: Column names to select, in order; ``None``: every column of the model.

    Returns:
        The plan: run ``plan.template`` with ``plan.params``, then
        ``plan.finish(rows, to_item)``.

    Raises:
        QueryError: When the query does not fit the model, the allowlists or the limits.
        CursorError: When the cursor is tampered with, foreign or expired.
        ConfigError: When ``columns`` names a column the table does not have.
    """
    checked = validate_query(
        query, info, filterable=filterable, sortable=sortable, max_limit=max_limit
    )
    shape = _shape(table, info, checked.sort, None if columns is None else tuple(columns))
    params: dict[str, Any] = {}
    filters = None if checked.filters is None else bind_group(checked.filters, params)
    fingerprint: bytes | None = None
    after_nulls: tuple[bool, ...] | None = None
    if checked.pagination is PaginationMode.CURSOR:
        fingerprint = query_fingerprint(info.name, checked)
        if checked.cursor is not None:
            raw = codec.decode(checked.cursor, info.name, fingerprint)
            values = _cursor_values(shape, info, raw)
            after_nulls = tuple(value is None for value in values)
            for i, value in enumerate(values):
                if value is not None:
                    params[f"{_AFTER}{i}"] = value
        paging: Any = after_nulls
    else:
        paging = (checked.include_total, checked.page > 1)
        if checked.page > 1:
            params[_OFFSET] = (checked.page - 1) * checked.limit
    params[_LIMIT] = checked.limit + 1
    key = (shape.key, filters, checked.pagination, paging)
    templates: dict[Any, _Template] = table.info.setdefault(_TEMPLATES_KEY, {})
    template = templates.get(key)
    if template is None:
        template = _build_template(table, info, shape, checked, after_nulls)
        _remember(templates, key, template)
    return ListPlan(
        template=template.statement,
        params=params,
        query=checked,
        columns=shape.columns,
        _shape=shape,
        _count=template.count,
        _model_name=info.name,
        _fingerprint=fingerprint,
        _codec=codec,
    )


def count_query(
    table: sa.Table, info: ModelInfo, group: FilterGroup | None
) -> tuple[sa.Select[Any], dict[str, Any]]:
    """Validate a filter group and compile ``SELECT count(*)`` of the rows it matches.

    Args:
        table: The model's table.
        info: The model's introspection record.
        group: The conditions (every column may be filtered on), or ``None``.

    Returns:
        The statement (the same object for every group of the same shape) and its parameters.

    Raises:
        QueryError: When a field, operator or value does not fit the model.
    """
    checked = validate_filters(group, info)
    params: dict[str, Any] = {}
    key = (_COUNT, None if checked is None else bind_group(checked, params))
    templates: dict[Any, _Template] = table.info.setdefault(_TEMPLATES_KEY, {})
    template = templates.get(key)
    if template is None:
        where = None if checked is None else compile_group(table, info, checked)
        count = _count_select(table, where)
        template = _Template(statement=count, count=count)
        _remember(templates, key, template)
    return template.count, params


def _cursor_values(shape: _Shape, info: ModelInfo, raw: tuple[Any, ...]) -> tuple[Any, ...]:
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
