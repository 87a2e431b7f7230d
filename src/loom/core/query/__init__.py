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

from loom.core.query._build import (
    as_filter_group,
    check_field,
    check_profile,
    field_value,
    paginated_query,
)
from loom.core.query._cursor import CursorCodec
from loom.core.query._spec import (
    MAX_FILTER_VALUES,
    MAX_PAGE_END,
    MAX_SORT_KEYS,
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
from loom.core.query._validate import (
    LIKE_ESCAPE,
    query_fingerprint,
    validate_filters,
    validate_query,
)

__all__ = [
    "CursorCodec",
    "CursorResult",
    "FilterGroup",
    "FilterOp",
    "FilterParams",
    "FilterSpec",
    "LIKE_ESCAPE",
    "LogicalOp",
    "MAX_FILTER_VALUES",
    "MAX_PAGE_END",
    "MAX_SORT_KEYS",
    "PageParams",
    "PageResult",
    "PaginationMode",
    "QuerySpec",
    "SortDirection",
    "SortSpec",
    "as_filter_group",
    "check_field",
    "check_profile",
    "field_value",
    "paginated_query",
    "query_fingerprint",
    "validate_filters",
    "validate_query",
]
