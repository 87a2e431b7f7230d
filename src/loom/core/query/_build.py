"""Building query specs from the simpler forms repositories accept."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from loom.core.query._spec import (
    FilterGroup,
    FilterOp,
    FilterParams,
    FilterSpec,
    PageParams,
    PaginationMode,
    QuerySpec,
)


def as_filter_group(filters: FilterGroup | Mapping[str, Any] | None) -> FilterGroup | None:
    """A filter group from a group or from ``{field: value}`` equality filters."""
    if filters is None or isinstance(filters, FilterGroup):
        return filters
    specs = tuple(FilterSpec(field=name, op=FilterOp.EQ, value=v) for name, v in filters.items())
    return FilterGroup(filters=specs) if specs else None


def paginated_query(page_params: PageParams, filter_params: FilterParams | None) -> QuerySpec:
    """The offset query ``list_paginated(page_params, filter_params)`` stands for."""
    return QuerySpec(
        filters=as_filter_group(filter_params.filters if filter_params else None),
        pagination=PaginationMode.OFFSET,
        limit=page_params.limit,
        page=page_params.page,
    )
