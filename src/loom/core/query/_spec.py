"""Query specs and results."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import msgspec

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 1000

MAX_SORT_KEYS = 8
"""Sort keys one query may give (the primary-key tiebreaker is not counted)."""

MAX_FILTER_VALUES = 1000
"""Values the filters of one query may hold in all: an ``in`` list counts each of its values.

It keeps every statement far below the drivers' limits on bound parameters (32,767 for
asyncpg), so a long list is a clear 400 rather than a database error.
"""

MAX_PAGE_END = 2**31 - 1
"""Largest ``page * limit`` of an offset page: the row offset is a 32-bit bind on PostgreSQL."""


class FilterOp(enum.StrEnum):
    """Comparison operators a filter may use."""

    EQ = "eq"
    NE = "ne"
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"
    IN = "in"
    NOT_IN = "not_in"
    BETWEEN = "between"
    LIKE = "like"
    ILIKE = "ilike"
    STARTSWITH = "startswith"
    CONTAINS = "contains"
    IS_NULL = "is_null"


class LogicalOp(enum.StrEnum):
    """How the members of a :class:`FilterGroup` combine."""

    AND = "and"
    OR = "or"


class SortDirection(enum.StrEnum):
    """Sort direction. Upper-case spellings (``"ASC"``) are accepted too."""

    ASC = "asc"
    DESC = "desc"

    @classmethod
    def _missing_(cls, value: object) -> SortDirection | None:
        if isinstance(value, str):
            lowered = value.lower()
            for member in cls:
                if member.value == lowered:
                    return member
        return None


class PaginationMode(enum.StrEnum):
    """Offset pages (``page``/``limit``) or keyset cursors (``cursor``/``limit``)."""

    OFFSET = "offset"
    CURSOR = "cursor"


class FilterSpec(msgspec.Struct, frozen=True, kw_only=True):
    """One condition: ``field op value``.

    ``IN``/``NOT_IN`` take a sequence, ``BETWEEN`` a pair ``(low, high)``, ``IS_NULL`` a bool
    (``True``: the field is NULL; ``False``: it is not). ``LIKE``/``ILIKE`` take a pattern with
    ``%`` and ``_``; ``STARTSWITH``/``CONTAINS`` take plain text (wildcards are matched
    literally).
    """

    field: str
    op: FilterOp = FilterOp.EQ
    value: Any = None


class FilterGroup(msgspec.Struct, frozen=True, kw_only=True):
    """Conditions and nested groups combined with one logical operator."""

    filters: tuple[FilterSpec, ...] = ()
    op: LogicalOp = LogicalOp.AND
    groups: tuple[FilterGroup, ...] = ()


class SortSpec(msgspec.Struct, frozen=True, kw_only=True):
    """One sort key."""

    field: str
    direction: SortDirection = SortDirection.ASC

    if TYPE_CHECKING:
        # Lets type checkers accept the documented spelling ``direction="ASC"``.
        def __init__(self, *, field: str, direction: SortDirection | str = ...) -> None: ...

    def __post_init__(self) -> None:
        # Direct construction does not convert ("ASC" as written in the documents); decoding does.
        direction: object = self.direction
        if not isinstance(direction, SortDirection):
            msgspec.structs.force_setattr(self, "direction", SortDirection(str(direction)))


class QuerySpec(msgspec.Struct, frozen=True, kw_only=True):
    """A whole list query: filters, sort keys and pagination.

    Attributes:
        filters: Conditions, or ``None`` for every row.
        sort: Sort keys in order; the primary key is always added last as a tiebreaker.
        pagination: Offset or cursor pagination.
        limit: Rows per page.
        page: 1-based page number (offset pagination).
        cursor: Opaque cursor from a previous :class:`CursorResult` (cursor pagination).
        include_total: Also count every matching row (offset pagination).
    """

    filters: FilterGroup | None = None
    sort: tuple[SortSpec, ...] = ()
    pagination: PaginationMode = PaginationMode.OFFSET
    limit: int = DEFAULT_LIMIT
    page: int = 1
    cursor: str | None = None
    include_total: bool = False


class PageParams(msgspec.Struct, frozen=True, kw_only=True):
    """Offset pagination parameters of :meth:`list_paginated`."""

    page: int = 1
    limit: int = DEFAULT_LIMIT


class FilterParams(msgspec.Struct, frozen=True, kw_only=True):
    """Equality filters of :meth:`list_paginated`: ``{field: value}``."""

    filters: dict[str, Any] = msgspec.field(default_factory=dict)


class PageResult(msgspec.Struct, Generic[T], frozen=True, kw_only=True):
    """One offset page.

    Attributes:
        items: The rows of this page.
        total_count: Every matching row, when the query asked for it; else ``None``.
        page: This page's number.
        limit: Rows per page.
        has_next: Whether another page follows.
    """

    items: list[T]
    total_count: int | None
    page: int
    limit: int
    has_next: bool


class CursorResult(msgspec.Struct, Generic[T], frozen=True, kw_only=True):
    """One keyset page.

    Attributes:
        items: The rows of this page.
        next_cursor: Opaque cursor for the next page, ``None`` on the last page.
        has_next: Whether another page follows.
    """

    items: list[T]
    next_cursor: str | None
    has_next: bool
