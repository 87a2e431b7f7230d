"""Compile a validated :class:`FilterGroup` into a SQLAlchemy boolean expression.

Every value is a named bound parameter typed by its column (``f0``, ``f1``, ... in the order
:func:`bind_group` walks the group), so one compiled expression serves every query of the same
*shape* and only the values change between calls. Semantics worth knowing:

* ``eq``/``ne`` with ``None`` mean ``IS NULL``/``IS NOT NULL``.
* ``ne`` and ``not_in`` keep rows whose value is NULL (NULL differs from every value), unlike
  plain SQL ``<>``/``NOT IN``; ``gt``/``lt``/``between``/``in`` never match NULL.
* ``between`` is inclusive on both ends.
* ``like``/``ilike`` take patterns with ``%`` and ``_`` (``\\`` escapes them); ``startswith``
  and ``contains`` take plain text. See ``_query_like`` for case rules.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Hashable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from loom.core.model import ModelInfo
from loom.core.query import FilterGroup, FilterOp, FilterSpec, LogicalOp
from loom.core.repository.sqlalchemy._query_like import (
    case_insensitive_like,
    case_sensitive_like,
    escape_like,
    like_to_glob,
)

_ORDER: dict[FilterOp, Callable[[Any, Any], Any]] = {
    FilterOp.GT: operator.gt,
    FilterOp.GTE: operator.ge,
    FilterOp.LT: operator.lt,
    FilterOp.LTE: operator.le,
}

# Operators whose value decides the SQL itself (IS NULL / IS NOT NULL), not a parameter.
_VALUE_IN_SHAPE = frozenset({FilterOp.EQ, FilterOp.NE, FilterOp.IS_NULL})


def is_nullable(table: sa.Table, info: ModelInfo, name: str) -> bool:
    """Whether a column may hold NULL, by the model or by the table.

    Either saying so is enough: treating a NOT NULL column as nullable costs a little speed,
    the reverse would lose rows.
    """
    return info.columns[name].nullable or bool(table.c[name].nullable)


def bind_group(group: FilterGroup, params: dict[str, Any]) -> Hashable:
    """Add a validated group's parameter values to ``params`` and return the group's shape.

    ``params`` must hold no filter values yet: the names are ``f<len(params)>``, in the order
    :func:`compile_group` names its parameters. Two groups with equal shapes compile to the
    same SQL; only their parameters differ.

    Args:
        group: A group that :func:`loom.core.query.validate_filters` returned.
        params: Receives ``{"f0": ..., "f1": ...}``.

    Returns:
        The shape: fields, operators and whatever in a value changes the SQL (``None`` for
        ``eq``/``ne``, the flag of ``is_null``); hashable.
    """
    leaves = tuple(_bind_filter(spec, params) for spec in group.filters)
    subgroups = tuple(bind_group(sub, params) for sub in group.groups)
    return (group.op, leaves, subgroups)


def _bind_filter(spec: FilterSpec, params: dict[str, Any]) -> Hashable:
    op, value = spec.op, spec.value
    if op in _VALUE_IN_SHAPE and (value is None or op is FilterOp.IS_NULL):
        return (spec.field, op, value)
    for slot in _slots(op, value):
        params[f"f{len(params)}"] = slot
    return (spec.field, op)


def _slots(op: FilterOp, value: Any) -> tuple[Any, ...]:
    # The parameter values of one condition, in the order compile_filter names them.
    if op is FilterOp.BETWEEN:
        low, high = value
        return (low, high)
    if op is FilterOp.LIKE:
        return (value, like_to_glob(value))
    if op is FilterOp.STARTSWITH:
        pattern = escape_like(value) + "%"
        return (pattern, like_to_glob(pattern))
    if op is FilterOp.CONTAINS:
        pattern = "%" + escape_like(value) + "%"
        return (pattern, like_to_glob(pattern))
    return (value,)  # in / not_in bind the whole tuple to one expanding parameter


class _Binds:
    """Makes the parameters ``f0``, ``f1``, ... in the order :func:`bind_group` fills them."""

    __slots__ = ("_next", "_values")

    def __init__(self, values: Mapping[str, Any] | None) -> None:
        self._next = 0
        self._values = values

    def __call__(self, type_: Any, *, expanding: bool = False) -> sa.BindParameter[Any]:
        name = f"f{self._next}"
        self._next += 1
        if self._values is None:
            return sa.bindparam(name, type_=type_, expanding=expanding)
        # Values bound in: anonymous names, so the expression combines with any other.
        return sa.bindparam(name, self._values[name], type_=type_, expanding=expanding, unique=True)


def compile_group(
    table: sa.Table,
    info: ModelInfo,
    group: FilterGroup,
    values: Mapping[str, Any] | None = None,
) -> ColumnElement[bool]:
    """Compile a group that :func:`loom.core.query.validate_filters` returned.

    Args:
        table: The model's table.
        info: The model's introspection record.
        group: The validated group.
        values: The parameters :func:`bind_group` collected, to bind them into the expression;
            ``None`` leaves the named parameters without values (a template).
    """
    return _compile_group(table, info, group, _Binds(values))


def _compile_group(
    table: sa.Table, info: ModelInfo, group: FilterGroup, binds: _Binds
) -> ColumnElement[bool]:
    parts = [compile_filter(table, info, spec, binds) for spec in group.filters]
    parts.extend(_compile_group(table, info, sub, binds) for sub in group.groups)
    if len(parts) == 1:
        return parts[0]
    return sa.or_(*parts) if group.op is LogicalOp.OR else sa.and_(*parts)


def compile_filter(
    table: sa.Table, info: ModelInfo, spec: FilterSpec, binds: _Binds
) -> ColumnElement[bool]:
    """Compile one validated condition, taking its parameters from ``binds``."""
    column: ColumnElement[Any] = table.c[spec.field]
    nullable = is_nullable(table, info, spec.field)
    op, value = spec.op, spec.value

    def bind(type_: Any = column.type, *, expanding: bool = False) -> sa.BindParameter[Any]:
        # Typed by the column: SQLAlchemy would inline True/False as constants otherwise.
        return binds(type_, expanding=expanding)

    if op is FilterOp.EQ:
        return column.is_(None) if value is None else column == bind()
    if op is FilterOp.NE:
        if value is None:
            return column.is_not(None)
        return column.is_distinct_from(bind()) if nullable else column != bind()
    if op in _ORDER:
        # ColumnElement's rich comparisons are typed as Any; name the type once here.
        compared: ColumnElement[bool] = _ORDER[op](column, bind())
        return compared
    if op is FilterOp.IN:
        return column.in_(bind(expanding=True))
    if op is FilterOp.NOT_IN:
        excluded = column.not_in(bind(expanding=True))
        return sa.or_(excluded, column.is_(None)) if nullable else excluded
    if op is FilterOp.BETWEEN:
        low = bind()
        return column.between(low, bind())
    if op is FilterOp.IS_NULL:
        return column.is_(None) if value else column.is_not(None)
    if op in (FilterOp.LIKE, FilterOp.STARTSWITH, FilterOp.CONTAINS):
        like = bind(sa.String())
        return case_sensitive_like(column, like, bind(sa.String()))
    if op is FilterOp.ILIKE:
        return case_insensitive_like(column, bind(sa.String()))
    raise AssertionError(f"unhandled filter operator {op!r}")  # validation admits no other
