"""Validated query specs evaluated in Python, with the semantics the SQL compiler gives them.

:class:`~loom.testing.InMemoryRepository` runs list queries through these functions, so a use
case tested in memory sees what it would see on SQLite or PostgreSQL:

* ``eq``/``ne`` with ``None`` mean ``IS NULL``/``IS NOT NULL``; ``ne`` and ``not_in`` keep NULL
  rows, ``gt``/``lt``/``between``/``in`` never match NULL.
* ``like`` is case-sensitive with ``%``, ``_`` and ``\\`` escapes; ``ilike`` lower-cases both
  sides; ``startswith``/``contains`` match their text literally.
* NULL sorts as the largest value (``ASC NULLS LAST``, ``DESC NULLS FIRST``); enums sort by
  their stored value; text sorts by code point, as PostgreSQL does under a ``C`` collation and
  SQLite always does.

Imports the standard library, msgspec and ``loom.core`` only (never sqlalchemy).
"""

from __future__ import annotations

import enum
import functools
import operator
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import msgspec

from loom.core.errors import CursorError, FieldError
from loom.core.model import ModelInfo
from loom.core.query import LIKE_ESCAPE, FilterGroup, FilterOp, FilterSpec, LogicalOp, SortSpec
from loom.core.query._fieldtypes import convert, scalar_type
from loom.core.query._spec import SortDirection

Row = Mapping[str, Any]
RowT = TypeVar("RowT", bound=Mapping[str, Any])

_ORDER: dict[FilterOp, Callable[[Any, Any], bool]] = {
    FilterOp.GT: operator.gt,
    FilterOp.GTE: operator.ge,
    FilterOp.LT: operator.lt,
    FilterOp.LTE: operator.le,
}


def matches(group: FilterGroup | None, row: Row, info: ModelInfo) -> bool:
    """Whether ``row`` satisfies a group that :func:`loom.core.query.validate_filters` returned."""
    if group is None:
        return True
    results = (_matches_one(spec, row, info) for spec in group.filters)
    nested = (matches(sub, row, info) for sub in group.groups)
    if group.op is LogicalOp.OR:
        return any(results) or any(nested)
    return all(results) and all(nested)


def _matches_one(spec: FilterSpec, row: Row, info: ModelInfo) -> bool:
    value = row[spec.field]
    op, wanted = spec.op, spec.value
    if op is FilterOp.IS_NULL:
        return (value is None) == bool(wanted)
    if op is FilterOp.EQ:
        return value is None if wanted is None else value is not None and value == wanted
    if op is FilterOp.NE:
        if wanted is None:
            return value is not None
        return value is None or value != wanted
    if op is FilterOp.NOT_IN:
        return value is None or value not in wanted
    if value is None:
        # Every remaining operator is a SQL comparison, and a comparison with NULL is not true.
        return False
    if op in _ORDER:
        return _ORDER[op](value, wanted)
    if op is FilterOp.IN:
        return bool(value in wanted)
    if op is FilterOp.BETWEEN:
        low, high = wanted
        return bool(low <= value <= high)
    if op is FilterOp.LIKE:
        return like_pattern(wanted).fullmatch(value) is not None
    if op is FilterOp.ILIKE:
        return like_pattern(wanted.lower()).fullmatch(value.lower()) is not None
    if op is FilterOp.STARTSWITH:
        return bool(value.startswith(wanted))
    if op is FilterOp.CONTAINS:
        return wanted in value
    raise AssertionError(f"unhandled filter operator {op!r}")  # validation admits no other


@functools.lru_cache(maxsize=256)
def like_pattern(pattern: str) -> re.Pattern[str]:
    """Compile a ``LIKE`` pattern (``%``, ``_``, ``\\`` escapes) into a regular expression."""
    out: list[str] = []
    chars = iter(pattern)
    for char in chars:
        if char == LIKE_ESCAPE:
            out.append(re.escape(next(chars, LIKE_ESCAPE)))
        elif char == "%":
            out.append(".*")
        elif char == "_":
            out.append(".")
        else:
            out.append(re.escape(char))
    return re.compile("".join(out), re.DOTALL)


def _compare_values(left: Any, right: Any, descending: bool) -> int:
    if left is None or right is None:
        # NULL is the largest value on every backend.
        result = (left is None) - (right is None)
    else:
        if isinstance(left, enum.Enum):
            left, right = left.value, right.value
        result = (left > right) - (left < right)
    return -result if descending else result


def compare_keys(sort: Sequence[SortSpec], left: Sequence[Any], right: Sequence[Any]) -> int:
    """Compare two rows' sort-key values (in ``sort`` order): negative, zero or positive."""
    for spec, a, b in zip(sort, left, right, strict=True):
        result = _compare_values(a, b, spec.direction is SortDirection.DESC)
        if result:
            return result
    return 0


def key_values(sort: Sequence[SortSpec], row: Row) -> tuple[Any, ...]:
    """The values of a row's sort keys, in sort order."""
    return tuple(row[spec.field] for spec in sort)


def sort_rows(sort: Sequence[SortSpec], rows: Iterable[RowT]) -> list[RowT]:
    """Rows ordered by ``sort`` (which ends with the primary key, so the order is total)."""

    def compare(left: RowT, right: RowT) -> int:
        return compare_keys(sort, key_values(sort, left), key_values(sort, right))

    return sorted(rows, key=functools.cmp_to_key(compare))


def cursor_values(
    sort: Sequence[SortSpec], info: ModelInfo, raw: tuple[Any, ...]
) -> tuple[Any, ...]:
    """Convert the values a verified cursor carries back to the sort keys' types.

    Raises:
        CursorError: When the values no longer fit the model (a column or key changed).
    """
    stale = CursorError(
        f"cursor no longer fits {info.name} (its columns changed); drop the cursor to start "
        "again from the first page",
        errors=(FieldError(field="cursor", message="cursor of an older schema"),),
    )
    if len(raw) != len(sort):
        raise stale
    values: list[Any] = []
    for spec, value in zip(sort, raw, strict=True):
        field = info.columns[spec.field]
        if value is None:
            if not field.nullable:
                raise stale
            values.append(None)
            continue
        try:
            values.append(convert(value, scalar_type(field)))
        except msgspec.ValidationError as exc:
            raise stale from exc
    return tuple(values)
