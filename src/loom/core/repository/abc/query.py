"""loom-kernel's module path of the query types; the same classes as ``loom.core.query``."""

from loom.core.query import (
    CursorResult,
    FilterGroup,
    FilterOp,
    FilterParams,
    FilterSpec,
    PageParams,
    PageResult,
    PaginationMode,
    QuerySpec,
    SortSpec,
    build_page_result,
)

__all__ = [
    "CursorResult",
    "FilterGroup",
    "FilterOp",
    "FilterParams",
    "FilterSpec",
    "PageParams",
    "PageResult",
    "PaginationMode",
    "QuerySpec",
    "SortSpec",
    "build_page_result",
]
