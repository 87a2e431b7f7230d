"""The query language: plain data that adapters compile to SQL against a model's columns.

Imports only msgspec and the standard library.

Example:
    >>> from loom.core.query import FilterGroup, FilterOp, FilterSpec, QuerySpec, SortSpec
    >>> QuerySpec(
    ...     filters=FilterGroup(filters=(FilterSpec(field="stock", op=FilterOp.LTE, value=5),)),
    ...     sort=(SortSpec(field="stock", direction="ASC"),),
    ...     limit=20,
    ... ).limit
    20
"""

from loom.core.query._spec import (
    CursorResult,
    FilterGroup,
    FilterOp,
    FilterParams,
    FilterSpec,
    LogicalOp,
    PageParams,
    PageResult,
    PaginationMode,
    QuerySpec,
    SortDirection,
    SortSpec,
)

__all__ = [
    "CursorResult",
    "FilterGroup",
    "FilterOp",
    "FilterParams",
    "FilterSpec",
    "LogicalOp",
    "PageParams",
    "PageResult",
    "PaginationMode",
    "QuerySpec",
    "SortDirection",
    "SortSpec",
]
