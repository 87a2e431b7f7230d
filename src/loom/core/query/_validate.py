"""Check a :class:`QuerySpec` against a model and return it normalized, with converted values.

Adapters compile only what this module returns, so a field that is not a column, an operator
that does not fit the column's type or a value that does not convert never reaches SQL, and
neither does a query no driver can run (too many sort keys or filter values, an offset past
what PostgreSQL binds; see :data:`MAX_SORT_KEYS`, :data:`MAX_FILTER_VALUES`,
:data:`MAX_PAGE_END`). The
normalized spec also carries the *effective* sort (the primary key appended as tiebreaker),
which :func:`query_fingerprint` hashes to bind cursors to their query.

Pure core: imports msgspec, the standard library and ``loom.core`` only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import msgspec

from loom.core.errors import FieldError, QueryError
from loom.core.errors._errors import join_messages
from loom.core.model import FieldInfo, ModelInfo
from loom.core.query._fieldtypes import OPERATORS, convert, kind_of, scalar_type, type_name
from loom.core.query._spec import (
    MAX_FILTER_VALUES,
    MAX_LIMIT,
    MAX_PAGE_END,
    MAX_SORT_KEYS,
    FilterGroup,
    FilterOp,
    FilterSpec,
    LogicalOp,
    PaginationMode,
    QuerySpec,
    SortDirection,
    SortSpec,
)

LIKE_ESCAPE = "\\"
"""The escape character of ``like``/``ilike`` patterns: ``\\%`` matches a literal ``%``."""


@dataclass(slots=True)
class _Checker:
    """Validation state of one call: the model, the allowlists and the problems found."""

    info: ModelInfo
    filterable: tuple[str, ...]
    errors: list[FieldError]

    def fail(self, field: str, message: str) -> None:
        self.errors.append(FieldError(field=field, message=message))

    def raise_if_failed(self) -> None:
        if self.errors:
            raise QueryError(join_messages(self.errors), errors=self.errors)


def validate_query(
    query: QuerySpec,
    info: ModelInfo,
    *,
    filterable: Collection[str] | None = None,
    sortable: Collection[str] | None = None,
    max_limit: int = MAX_LIMIT,
) -> QuerySpec:
    """Check a query against a model and return it ready to compile.

    The result has every filter value converted to its column's Python type (``"5"`` -> ``5``,
    ISO strings -> aware UTC datetimes, ``in`` lists -> tuples), empty groups dropped, and the
    primary-key fields appended to the sort (ascending) unless the sort already names them, so
    the order is total.

    Args:
        query: The query as the caller built or decoded it.
        info: The model's introspection record (``model_info(Model)``).
        filterable: Fields that may be filtered on; ``None`` allows every column.
        sortable: Fields that may be sorted on; ``None`` allows every column. The primary-key
            tiebreaker is always allowed.
        max_limit: The largest page size accepted.

    Returns:
        The normalized query.

    Raises:
        QueryError: Listing every problem found, one :class:`FieldError` each (the ``field``
            is the model field, or ``limit``/``page``/``cursor``/``pagination``/``sort``/
            ``filters``). Beyond the model's own rules, a query is refused when it gives more
            than :data:`MAX_SORT_KEYS` sort keys, when its filters hold more than
            :data:`MAX_FILTER_VALUES` values, or when an offset page ends past
            :data:`MAX_PAGE_END` (``page * limit``).
    """
    checker = _Checker(info, _allowed(info, filterable), [])
    filters = _check_group(checker, query.filters) if query.filters is not None else None
    _check_size(checker, filters)
    sort = _check_sort(checker, query.sort, _allowed(info, sortable))
    pagination = _check_pagination(checker, query, max_limit)
    checker.raise_if_failed()
    return QuerySpec(
        filters=filters,
        sort=sort,
        pagination=pagination,
        limit=query.limit,
        page=query.page,
        cursor=query.cursor,
        include_total=bool(query.include_total),
    )


def validate_filters(
    group: FilterGroup | None,
    info: ModelInfo,
    *,
    filterable: Collection[str] | None = None,
) -> FilterGroup | None:
    """Check a filter group alone (see :func:`validate_query`).

    Args:
        group: The conditions, or ``None``.
        info: The model's introspection record.
        filterable: Fields that may be filtered on; ``None`` allows every column.

    Returns:
        The normalized group, or ``None`` when nothing is left to filter on.

    Raises:
        QueryError: Listing every problem found.
    """
    if group is None:
        return None
    checker = _Checker(info, _allowed(info, filterable), [])
    result = _check_group(checker, group)
    _check_size(checker, result)
    checker.raise_if_failed()
    return result


def query_fingerprint(model_name: str, query: QuerySpec) -> bytes:
    """A stable 16-byte digest of what a cursor depends on: model, filters and sort.

    Pass a query returned by :func:`validate_query`, so that equal queries written differently
    (``"5"`` and ``5``, implicit and explicit tiebreaker) share one fingerprint. Limit, page
    and ``include_total`` are left out: a client may change its page size between pages.

    Args:
        model_name: The model's name.
        query: The normalized query.

    Returns:
        The digest; equal for equal queries in every process.
    """
    payload = msgspec.msgpack.encode((model_name, query.filters, query.sort))
    return hashlib.blake2b(payload, digest_size=16, person=b"loom.query.fp").digest()


def _allowed(info: ModelInfo, names: Collection[str] | None) -> tuple[str, ...]:
    # Declaration order, so the lists in error messages read like the model.
    if names is None:
        return tuple(info.columns)
    wanted = set(names)
    return tuple(name for name in info.columns if name in wanted)


def _check_size(checker: _Checker, group: FilterGroup | None) -> None:
    held = _values_held(group) if group is not None else 0
    if held > MAX_FILTER_VALUES:
        checker.fail(
            "filters",
            f"the filters hold {held} values in all; one query may hold at most "
            f"{MAX_FILTER_VALUES} (an in list counts each of its values): split the query",
        )


def _values_held(group: FilterGroup) -> int:
    held = sum(len(spec.value) if isinstance(spec.value, tuple) else 1 for spec in group.filters)
    return held + sum(_values_held(sub) for sub in group.groups)


def _check_group(checker: _Checker, group: FilterGroup) -> FilterGroup | None:
    try:
        op = LogicalOp(group.op)
    except ValueError:
        checker.fail("filters", f"unknown filter group operator {group.op!r}; use 'and' or 'or'")
        op = LogicalOp.AND
    filters = tuple(
        checked for spec in group.filters if (checked := _check_filter(checker, spec)) is not None
    )
    groups = tuple(
        sub_checked
        for sub in group.groups
        if (sub_checked := _check_group(checker, sub)) is not None
    )
    # An empty group constrains nothing; dropping it keeps fingerprints and SQL canonical.
    if not filters and not groups:
        return None
    return FilterGroup(filters=filters, op=op, groups=groups)


def _check_filter(checker: _Checker, spec: FilterSpec) -> FilterSpec | None:
    info = checker.info
    name = spec.field
    field = info.columns.get(name)
    if field is None or name not in checker.filterable:
        allowed = ", ".join(checker.filterable) or "(none)"
        checker.fail(
            name, f"unknown filter field {name!r} on {info.name}; filterable fields: {allowed}"
        )
        return None
    try:
        op = FilterOp(spec.op)
    except ValueError:
        ops = ", ".join(o.value for o in FilterOp)
        checker.fail(
            name, f"unknown filter operator {spec.op!r} on field {name!r}; use one of {ops}"
        )
        return None
    tp = scalar_type(field)
    allowed_ops = OPERATORS[kind_of(tp)]
    if op not in allowed_ops:
        ops = ", ".join(o.value for o in FilterOp if o in allowed_ops)
        checker.fail(
            name,
            f"operator {op.value!r} does not apply to field {name!r} ({type_name(tp)}) "
            f"on {info.name}; operators for it: {ops}",
        )
        return None
    value = _check_value(checker, field, tp, op, spec.value)
    if value is _INVALID:
        return None
    return FilterSpec(field=name, op=op, value=value)


_INVALID: Any = object()


def _check_value(checker: _Checker, field: FieldInfo, tp: Any, op: FilterOp, value: Any) -> Any:
    name = field.name
    where = f"filter {name!r} ({op.value}) on {checker.info.name}"
    if op is FilterOp.IS_NULL:
        # ``FilterSpec(field=..., op=IS_NULL)`` reads as "is null", so the default None means True.
        if value is None:
            return True
        try:
            return msgspec.convert(value, bool, strict=False)
        except msgspec.ValidationError:
            checker.fail(name, f"{where} takes true or false, got {value!r}")
            return _INVALID
    if op in (FilterOp.IN, FilterOp.NOT_IN):
        if isinstance(value, str | bytes | dict) or not isinstance(value, Collection):
            checker.fail(name, f"{where} takes a non-empty list of values, got {value!r}")
            return _INVALID
        if not value:
            checker.fail(name, f"{where} takes a non-empty list of values, got an empty list")
            return _INVALID
        if len(value) > MAX_FILTER_VALUES:
            checker.fail(
                name,
                f"{where} takes at most {MAX_FILTER_VALUES} values, got {len(value)}; "
                "split the list over several queries",
            )
            return _INVALID
        items = [_convert_one(checker, field, tp, where, item) for item in value]
        return _INVALID if any(i is _INVALID for i in items) else tuple(items)
    if op is FilterOp.BETWEEN:
        if isinstance(value, str | bytes | dict) or not isinstance(value, Collection):
            checker.fail(name, f"{where} takes a pair [low, high], got {value!r}")
            return _INVALID
        if len(value) != 2:
            checker.fail(name, f"{where} takes a pair [low, high], got {len(value)} values")
            return _INVALID
        pair = [_convert_one(checker, field, tp, where, item) for item in value]
        return _INVALID if any(i is _INVALID for i in pair) else tuple(pair)
    if value is None:
        if op in (FilterOp.EQ, FilterOp.NE) and field.nullable:
            return None  # compiles to IS NULL / IS NOT NULL
        hint = " (use is_null)" if field.nullable else f" ({name!r} is never null)"
        checker.fail(name, f"{where} needs a value, got null{hint}")
        return _INVALID
    converted = _convert_one(checker, field, tp, where, value)
    if op in (FilterOp.LIKE, FilterOp.ILIKE) and converted is not _INVALID:
        trailing = len(converted) - len(converted.rstrip(LIKE_ESCAPE))
        if trailing % 2:
            checker.fail(
                name,
                f"{where}: pattern {converted!r} ends with the escape character '\\'; "
                "write '\\\\' for a literal backslash",
            )
            return _INVALID
    return converted


def _convert_one(checker: _Checker, field: FieldInfo, tp: Any, where: str, value: Any) -> Any:
    if value is None:
        checker.fail(field.name, f"{where}: null is not a value here; use is_null")
        return _INVALID
    try:
        return convert(value, tp)
    except msgspec.ValidationError as exc:
        checker.fail(field.name, f"{where}: {value!r} is not a valid {type_name(tp)} ({exc})")
        return _INVALID


def _check_sort(
    checker: _Checker, sort: tuple[SortSpec, ...], sortable: tuple[str, ...]
) -> tuple[SortSpec, ...]:
    info = checker.info
    result: list[SortSpec] = []
    seen: set[str] = set()
    if len(sort) > MAX_SORT_KEYS:
        # One error for the lot: a thousand keys must not make a thousand messages.
        checker.fail("sort", too_many_sort_keys(len(sort)))
        sort = ()
    for spec in sort:
        name = spec.field
        field = info.columns.get(name)
        if field is None or name not in sortable:
            allowed = ", ".join(n for n in sortable if _sortable(info.columns[n])) or "(none)"
            checker.fail(
                name, f"unknown sort field {name!r} on {info.name}; sortable fields: {allowed}"
            )
            continue
        if not _sortable(field):
            checker.fail(
                name,
                f"field {name!r} ({type_name(scalar_type(field))}) on {info.name} "
                "cannot be sorted on",
            )
            continue
        if name in seen:
            checker.fail(name, f"sort field {name!r} is given twice; give each field once")
            continue
        seen.add(name)
        try:
            direction = SortDirection(spec.direction)
        except ValueError:
            checker.fail(
                name, f"unknown sort direction {spec.direction!r} for {name!r}; use asc or desc"
            )
            continue
        result.append(SortSpec(field=name, direction=direction))
    # The primary key makes the order total, which keyset cursors and stable pages need.
    result.extend(SortSpec(field=pk) for pk in info.primary_key if pk not in seen)
    return tuple(result)


def too_many_sort_keys(count: int) -> str:
    """The message refusing ``count`` sort keys, over :data:`MAX_SORT_KEYS`."""
    return f"at most {MAX_SORT_KEYS} sort keys may be given, got {count}"


def page_end_message(page: int, limit: int) -> str:
    """The message refusing an offset page whose ``page * limit`` is past :data:`MAX_PAGE_END`."""
    last = MAX_PAGE_END // limit
    return (
        f"page {page} with limit {limit} ends past row {MAX_PAGE_END}, the furthest an offset "
        f"page reaches; with limit {limit} the last page is {last} (walk further with cursor "
        "pagination)"
    )


def _sortable(field: FieldInfo) -> bool:
    return kind_of(scalar_type(field)) != "opaque"


def _check_pagination(checker: _Checker, query: QuerySpec, max_limit: int) -> PaginationMode:
    try:
        mode = PaginationMode(query.pagination)
    except ValueError:
        checker.fail(
            "pagination", f"unknown pagination {query.pagination!r}; use 'offset' or 'cursor'"
        )
        mode = PaginationMode.OFFSET
    limit, page = query.limit, query.page
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= max_limit:
        checker.fail("limit", f"limit must be between 1 and {max_limit}, got {limit!r}")
    if isinstance(page, bool) or not isinstance(page, int) or page < 1:
        checker.fail("page", f"page must be 1 or more, got {page!r}")
    elif mode is PaginationMode.OFFSET and isinstance(limit, int) and page * limit > MAX_PAGE_END:
        checker.fail("page", page_end_message(page, limit))
    if query.cursor is not None:
        if mode is not PaginationMode.CURSOR:
            checker.fail(
                "cursor", "a cursor was given with offset pagination; use pagination=cursor"
            )
        elif not isinstance(query.cursor, str) or not query.cursor:
            checker.fail("cursor", f"cursor must be a non-empty string, got {query.cursor!r}")
    return mode
