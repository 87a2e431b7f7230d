"""Compile a validated :class:`FilterGroup` into a SQLAlchemy boolean expression.

Every value becomes a bound parameter typed by its column. Semantics worth knowing:

* ``eq``/``ne`` with ``None`` mean ``IS NULL``/``IS NOT NULL``.
* ``ne`` and ``not_in`` keep rows whose value is NULL (NULL differs from every value), unlike
  plain SQL ``<>``/``NOT IN``; ``gt``/``lt``/``between``/``in`` never match NULL.
* ``between`` is inclusive on both ends.
* ``like``/``ilike`` take patterns with ``%`` and ``_`` (``\\`` escapes them); ``startswith``
  and ``contains`` take plain text. See ``_query_like`` for case rules.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from loom.core.model import ModelInfo
from loom.core.query import FilterGroup, FilterOp, FilterSpec, LogicalOp
from loom.core.repository.sqlalchemy._query_like import (
    case_insensitive_like,
    case_sensitive_like,
    escape_like,
)

_ORDER: dict[FilterOp, Callable[[Any, Any], Any]] = {
    FilterOp.GT: operator.gt,
    FilterOp.GTE: operator.ge,
    FilterOp.LT: operator.lt,
    FilterOp.LTE: operator.le,
}


def is_nullable(table: sa.Table, info: ModelInfo, name: str) -> bool:
    """Whether a column may hold NULL, by the model or by the table.

    Either saying so is enough: treating a NOT NULL column as nullable costs a little speed,
    the reverse would lose rows.
    """
    return info.columns[name].nullable or bool(table.c[name].nullable)


def compile_group(table: sa.Table, info: ModelInfo, group: FilterGroup) -> ColumnElement[bool]:
    """Compile a group that :func:`loom.core.query.validate_filters` returned."""
    parts = [compile_filter(table, info, spec) for spec in group.filters]
    parts.extend(compile_group(table, info, sub) for sub in group.groups)
    if len(parts) == 1:
        return parts[0]
    return sa.or_(*parts) if group.op is LogicalOp.OR else sa.and_(*parts)


def compile_filter(table: sa.Table, info: ModelInfo, spec: FilterSpec) -> ColumnElement[bool]:
    """Compile one validated condition."""
    column: ColumnElement[Any] = table.c[spec.field]
    nullable = is_nullable(table, info, spec.field)
    op, value = spec.op, spec.value
    if op is FilterOp.EQ:
        return column.is_(None) if value is None else column == value
    if op is FilterOp.NE:
        if value is None:
            return column.is_not(None)
        return column.is_distinct_from(value) if nullable else column != value
    if op in _ORDER:
        # ColumnElement's rich comparisons are typed as Any; name the type once here.
        compared: ColumnElement[bool] = _ORDER[op](column, value)
        return compared
    if op is FilterOp.IN:
        return column.in_(value)
    if op is FilterOp.NOT_IN:
        excluded = column.not_in(value)
        return sa.or_(excluded, column.is_(None)) if nullable else excluded
    if op is FilterOp.BETWEEN:
        low, high = value
        return column.between(low, high)
    if op is FilterOp.IS_NULL:
        return column.is_(None) if value else column.is_not(None)
    if op is FilterOp.LIKE:
        return case_sensitive_like(column, value)
    if op is FilterOp.ILIKE:
        return case_insensitive_like(column, value)
    if op is FilterOp.STARTSWITH:
        return case_sensitive_like(column, escape_like(value) + "%")
    if op is FilterOp.CONTAINS:
        return case_sensitive_like(column, "%" + escape_like(value) + "%")
    raise AssertionError(f"unhandled filter operator {op!r}")  # validation admits no other
