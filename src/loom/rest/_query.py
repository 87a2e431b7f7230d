"""Reading a request's query string into a :class:`QuerySpec` and the use case's parameters.

The grammar of list routes:

* ``field=value`` and ``field__op=value`` for every :class:`FilterOp` (``price_cents__gte=100``);
  ``in``/``not_in`` take comma-separated values, ``between`` takes ``low,high``, ``is_null``
  takes ``true`` or ``false``;
* ``sort=-price_cents,id`` (``-`` for descending; several keys, in order);
* ``limit`` (1 to the maximum), ``page`` (1 or more) or ``cursor``, ``pagination=offset|cursor``
  and ``total=true`` (count every matching row, offset pagination).

With camelCase JSON (``rest.casing: camel``) fields and the use case's parameters are named in
camelCase (``priceCents__gte=100``, ``sort=-priceCents``) and their snake_case names are unknown.
Any other name must be a parameter of the use case (such as ``profile``). Every problem is a
:class:`QueryError` (400) whose errors name the query parameter. Framework-neutral: imports
msgspec, the standard library and ``loom.core`` only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from loom.core.errors import FieldError, QueryError, ValidationError
from loom.core.errors._errors import join_messages
from loom.core.model import ModelInfo
from loom.core.query import (
    MAX_SORT_KEYS,
    FilterGroup,
    FilterOp,
    FilterSpec,
    PaginationMode,
    QuerySpec,
    SortDirection,
    SortSpec,
    validate_filters,
    validate_query,
)
from loom.core.query._validate import too_many_sort_keys
from loom.core.use_case import ParamSpec

RESERVED = ("sort", "limit", "page", "cursor", "pagination", "total")
"""Query parameters of list routes that are not filters."""

OPERATOR_SEPARATOR = "__"
"""Between a field and its operator: ``price_cents__gte``."""

_TRUE = frozenset({"true", "1"})
_FALSE = frozenset({"false", "0"})


def default_fields(info: ModelInfo) -> tuple[str, ...]:
    """The columns a list route filters and sorts on by default: all but the private ones."""
    return tuple(name for name, field in info.columns.items() if not field.spec.private)


@dataclass(frozen=True, slots=True)
class ListQuery:
    """How one list route reads its query string.

    Attributes:
        info: The model listed.
        filterable: Fields that may be filtered on.
        sortable: Fields that may be sorted on.
        pagination: Pagination when the request does not choose one.
        default_limit: Page size when the request gives none.
        max_limit: Largest page size; a larger ``limit`` is a 400, not clamped.
        aliases: The names the query string uses, to field names (``{"priceCents":
            "price_cents"}``), when they differ from the fields' own (camelCase JSON); then
            only these names are read. ``None`` reads the field names as declared.
    """

    info: ModelInfo
    filterable: tuple[str, ...]
    sortable: tuple[str, ...]
    pagination: PaginationMode = PaginationMode.OFFSET
    default_limit: int = 50
    max_limit: int = 1000
    aliases: Mapping[str, str] | None = None

    def public(self, fields: Iterable[str]) -> tuple[str, ...]:
        """``fields`` as the query string names them."""
        if self.aliases is None:
            return tuple(fields)
        names = {field: name for name, field in self.aliases.items()}
        return tuple(names.get(field, field) for field in fields)


@dataclass(frozen=True, slots=True)
class RouteQuery:
    """Everything a route accepts in its query string.

    Attributes:
        listing: List settings when the use case takes a ``QuerySpec``; else ``None``.
        params: The use case's parameters read from the query string (those not in the path),
            by the name the query string uses (the parameter's own, or its camelCase spelling).
    """

    listing: ListQuery | None
    params: Mapping[str, ParamSpec]

    def accepted(self) -> tuple[str, ...]:
        """Names of the non-filter parameters, for error messages."""
        names = list(self.params)
        if self.listing is not None:
            names.extend(RESERVED)
        return tuple(names)


@dataclass(slots=True)
class _Reader:
    route: RouteQuery
    errors: list[FieldError]

    def fail(self, parameter: str, message: str) -> None:
        self.errors.append(FieldError(parameter, message))


def parse_query(
    items: Iterable[tuple[str, str]], route: RouteQuery
) -> tuple[QuerySpec | None, dict[str, Any]]:
    """Read one request's query string.

    Args:
        items: The ``(name, value)`` pairs in request order (repeats kept).
        route: What the route accepts.

    Returns:
        The validated query (``None`` when the route lists nothing) and the converted use-case
        parameters that were given.

    Raises:
        QueryError: Every problem found, one error per parameter, naming it.
    """
    reader = _Reader(route, [])
    params: dict[str, Any] = {}
    reserved: dict[str, str] = {}
    filters: list[tuple[str, FilterSpec]] = []
    listing = route.listing
    for name, value in items:
        spec = route.params.get(name)
        if spec is not None:
            if spec.name in params:
                reader.fail(name, f"query parameter {name!r} is given twice; give it once")
                continue
            try:
                params[spec.name] = spec.convert(value)
            except ValidationError as exc:
                reader.fail(name, f"{name}={value!r}: {_messages(exc)}")
            continue
        if listing is not None and name in RESERVED:
            if name in reserved and name != "sort":
                reader.fail(name, f"query parameter {name!r} is given twice; give it once")
                continue
            # Repeated sort parameters read as one list, in order.
            reserved[name] = f"{reserved[name]},{value}" if name in reserved else value
            continue
        if listing is not None:
            found = _filter(reader, listing, name, value)
            if found is not None:
                filters.append((name, found))
            continue
        reader.fail(name, _unknown(name, route))
    query = _query(reader, listing, reserved, filters) if listing is not None else None
    if reader.errors:
        raise QueryError(
            "invalid query string: " + join_messages(reader.errors), errors=reader.errors
        )
    return query, params


def _messages(exc: ValidationError) -> str:
    return join_messages(exc.errors) or exc.message


def _unknown(name: str, route: RouteQuery) -> str:
    accepted = ", ".join(route.accepted()) or "(none)"
    message = f"unknown query parameter {name!r}; accepted: {accepted}"
    if route.listing is not None:
        fields = ", ".join(route.listing.public(route.listing.filterable)) or "(none)"
        message += f"; filters: field=value or field__op=value on {fields}"
    return message


def _filter(reader: _Reader, listing: ListQuery, name: str, raw: str) -> FilterSpec | None:
    info = listing.info
    aliases = listing.aliases
    names = info.columns if aliases is None else aliases
    field, op_name = name, FilterOp.EQ.value
    if name not in names and OPERATOR_SEPARATOR in name:
        field, op_name = name.rsplit(OPERATOR_SEPARATOR, 1)
    if field not in names:
        reader.fail(name, _unknown(name, reader.route))
        return None
    if aliases is not None:
        field = aliases[field]
    if field not in listing.filterable:
        reader.fail(name, _unknown(name, reader.route))
        return None
    try:
        op = FilterOp(op_name)
    except ValueError:
        ops = ", ".join(o.value for o in FilterOp)
        reader.fail(name, f"unknown filter operator {op_name!r} in {name!r}; use one of {ops}")
        return None
    value: Any = raw
    if op in (FilterOp.IN, FilterOp.NOT_IN):
        value = [] if raw == "" else raw.split(",")
    elif op is FilterOp.BETWEEN:
        value = raw.split(",")
        if len(value) != 2:
            reader.fail(name, f"{name} takes two comma-separated values low,high; got {raw!r}")
            return None
    elif op is FilterOp.IS_NULL:
        flag = _flag(raw)
        if flag is None:
            reader.fail(name, f"{name} takes true or false; got {raw!r}")
            return None
        value = flag
    spec = FilterSpec(field=field, op=op, value=value)
    try:
        checked = validate_filters(
            FilterGroup(filters=(spec,)), info, filterable=listing.filterable
        )
    except QueryError as exc:
        message = _messages(exc)
        if aliases is not None:
            message = _public_message(message, field, name.split(OPERATOR_SEPARATOR, 1)[0])
        reader.fail(name, message)
        return None
    assert checked is not None  # one valid filter makes a non-empty group
    return checked.filters[0]


def _public_message(text: str, field: str, public: str) -> str:
    # The core names the field as declared; the client sent its camelCase spelling.
    if field == public:
        return text
    return re.sub(rf"(?<![A-Za-z0-9]){re.escape(field)}(?![A-Za-z0-9])", public, text)


def _flag(raw: str) -> bool | None:
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    return None


def _query(
    reader: _Reader,
    listing: ListQuery,
    reserved: dict[str, str],
    filters: list[tuple[str, FilterSpec]],
) -> QuerySpec | None:
    pagination = _pagination(reader, listing, reserved)
    limit = _int(reader, "limit", reserved.get("limit"), listing.default_limit)
    if limit is not None and not 1 <= limit <= listing.max_limit:
        reader.fail("limit", f"limit must be between 1 and {listing.max_limit}; got {limit}")
    page = _int(reader, "page", reserved.get("page"), 1)
    if page is not None and page < 1:
        reader.fail("page", f"page must be 1 or more; got {page}")
    cursor = reserved.get("cursor")
    if cursor is not None and not cursor:
        reader.fail("cursor", "cursor is empty; send the next_cursor of the previous page")
    total = False
    if "total" in reserved:
        flag = _flag(reserved["total"])
        if flag is None:
            reader.fail("total", f"total takes true or false; got {reserved['total']!r}")
        elif flag and pagination is PaginationMode.CURSOR:
            reader.fail("total", "total=true needs offset pagination; add pagination=offset")
        else:
            total = flag
    sort = _sort(reader, listing, reserved.get("sort"))
    if reader.errors:
        return None
    query = QuerySpec(
        filters=FilterGroup(filters=tuple(spec for _, spec in filters)) if filters else None,
        sort=sort,
        pagination=pagination,
        limit=limit or listing.default_limit,
        page=page or 1,
        cursor=cursor,
        include_total=total,
    )
    try:
        return validate_query(
            query,
            listing.info,
            filterable=listing.filterable,
            sortable=listing.sortable,
            max_limit=listing.max_limit,
        )
    except QueryError as exc:
        for error in exc.errors:
            # Filters were checked one by one above; what is left is about the query as a whole
            # (its sort, its page, how many values its filters hold).
            where = error.field if error.field in (*RESERVED, "filters") else "sort"
            reader.fail(where, error.message)
        return None


def _pagination(reader: _Reader, listing: ListQuery, reserved: dict[str, str]) -> PaginationMode:
    raw = reserved.get("pagination")
    if raw is not None:
        try:
            mode = PaginationMode(raw.lower())
        except ValueError:
            reader.fail("pagination", f"pagination must be offset or cursor; got {raw!r}")
            return listing.pagination
        if mode is PaginationMode.CURSOR and "page" in reserved:
            reader.fail("page", "page applies to offset pagination; send cursor instead")
        if mode is PaginationMode.OFFSET and "cursor" in reserved:
            reader.fail("cursor", "cursor applies to cursor pagination; send page instead")
        return mode
    # Without an explicit choice, page or cursor says which pagination the client means.
    if "page" in reserved and "cursor" in reserved:
        reader.fail("cursor", "give page or cursor, not both")
        return listing.pagination
    if "cursor" in reserved:
        return PaginationMode.CURSOR
    if "page" in reserved:
        return PaginationMode.OFFSET
    return listing.pagination


_MAX_DIGITS = 18
"""Digits of the largest ``limit``/``page`` read; longer numbers are refused before ``int()``."""


def _int(reader: _Reader, name: str, raw: str | None, default: int) -> int | None:
    if raw is None:
        return default
    text = raw.strip()
    if not text.lstrip("-").isdigit() or not text.isascii():
        reader.fail(name, f"{name} must be a whole number; got {raw!r}")
        return None
    if len(text.lstrip("-").lstrip("0")) > _MAX_DIGITS:
        # int() refuses over 4,300 digits with a ValueError, and no page is that far anyway.
        reader.fail(name, f"{name} is out of range; got a number of {len(text)} digits")
        return None
    return int(text)


def _sort(reader: _Reader, listing: ListQuery, raw: str | None) -> tuple[SortSpec, ...]:
    if raw is None:
        return ()
    parts = raw.split(",")
    if len(parts) > MAX_SORT_KEYS:
        reader.fail("sort", too_many_sort_keys(len(parts)))
        return ()
    keys: list[SortSpec] = []
    aliases = listing.aliases
    for part in parts:
        key = part.strip()
        direction = SortDirection.ASC
        if key.startswith("-"):
            key, direction = key[1:], SortDirection.DESC
        elif key.startswith("+"):
            key = key[1:]
        field = key if aliases is None else aliases.get(key, "")
        if field not in listing.sortable:
            allowed = ", ".join(listing.public(listing.sortable)) or "(none)"
            reader.fail(
                "sort",
                f"unknown sort field {key!r} on {listing.info.name}; sortable fields: "
                f"{allowed} (prefix - for descending)",
            )
            continue
        keys.append(SortSpec(field=field, direction=direction))
    return tuple(keys)
