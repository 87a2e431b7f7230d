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

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from loom.core.model import ModelInfo
from loom.core.query import (
    CursorCodec,
    CursorResult,
    FilterGroup,
    PageResult,
    PaginationMode,
    QuerySpec,
    SortSpec,
    query_fingerprint,
    validate_filters,
    validate_query,
)
from loom.core.query._spec import MAX_LIMIT
from loom.core.repository.sqlalchemy._query_filters import bind_group, compile_group
from loom.core.repository.sqlalchemy._query_keyset import (
    AFTER,
    CACHE_SIZE,
    Shape,
    after_condition,
    cursor_values,
    shape_of,
)

T = TypeVar("T")

_TEMPLATES_KEY = "loom.query.templates"

# Parameter names of the templates; filters take f0, f1, ... (see _query_filters).
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
    return list(shape_of(table, info, checked.sort, None).order_by)


@dataclass(frozen=True, slots=True)
class _Template:
    """The statement of one query shape, with named parameters and no values."""

    statement: sa.Select[Any]
    count: sa.Select[Any]  # SELECT count(*) under the same filters, for pages past the end


def _remember(templates: dict[Any, _Template], key: Any, template: _Template) -> None:
    if len(templates) >= CACHE_SIZE:
        templates.clear()  # shapes come from clients; keep the cache bounded
    templates[key] = template


def _count_select(table: sa.Table, where: ColumnElement[bool] | None) -> sa.Select[Any]:
    stmt = sa.select(sa.func.count()).select_from(table)
    return stmt if where is None else stmt.where(where)


def _build_template(
    table: sa.Table,
    info: ModelInfo,
    shape: Shape,
    query: QuerySpec,
    after_nulls: tuple[bool, ...] | None,
) -> _Template:
    where = None if query.filters is None else compile_group(table, info, query.filters)
    conditions = [] if where is None else [where]
    if query.pagination is PaginationMode.CURSOR:
        stmt = shape.select
        if after_nulls is not None:
            conditions.append(after_condition(shape, after_nulls))
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
    _shape: Shape
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
    shape = shape_of(table, info, checked.sort, None if columns is None else tuple(columns))
    params: dict[str, Any] = {}
    filters = None if checked.filters is None else bind_group(checked.filters, params)
    fingerprint: bytes | None = None
    after_nulls: tuple[bool, ...] | None = None
    if checked.pagination is PaginationMode.CURSOR:
        fingerprint = query_fingerprint(info.name, checked)
        if checked.cursor is not None:
            raw = codec.decode(checked.cursor, info.name, fingerprint)
            values = cursor_values(shape, info, raw)
            after_nulls = tuple(value is None for value in values)
            for i, value in enumerate(values):
                if value is not None:
                    params[f"{AFTER}{i}"] = value
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
