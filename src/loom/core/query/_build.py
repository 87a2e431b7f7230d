"""Building query specs from the simpler forms repositories accept."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from loom.core.errors import FieldError, QueryError
from loom.core.model import ModelInfo
from loom.core.query._fieldtypes import convert, scalar_type
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


def check_field(info: ModelInfo, field: str) -> None:
    """Raise a :class:`QueryError` listing the fields when ``field`` is not a column."""
    if field not in info.columns:
        raise QueryError(
            f"unknown field {field!r} on {info.name}; fields: {', '.join(info.columns)}"
        )


def field_value(info: ModelInfo, field: str, value: Any) -> Any:
    """``value`` converted to the column type of ``field``, as filters convert theirs.

    Raises:
        QueryError: ``field`` is not a column, or ``value`` does not convert (named).
    """
    check_field(info, field)
    if value is None:
        return None
    try:
        return convert(value, scalar_type(info.columns[field]))
    except msgspec.ValidationError as exc:
        raise QueryError(f"{info.name}.{field}: value {value!r} does not convert: {exc}") from None


DEFAULT_PROFILE = "default"
"""The profile every read uses unless told otherwise: the row alone."""


def profiles_of(info: ModelInfo) -> tuple[str, ...]:
    """The loading profiles a model declares: ``default``, then those its relations and
    projections name, in alphabetical order."""
    named = {p for spec in info.relations.values() for p in spec.profiles}
    named.update(p for spec in info.projections.values() for p in spec.profiles)
    named.discard(DEFAULT_PROFILE)
    return (DEFAULT_PROFILE, *sorted(named))


def check_profile(info: ModelInfo, profile: str) -> None:
    """Raise a :class:`QueryError` naming the known profiles when ``profile`` is not one.

    A profile usually comes from a query string (``?profile=detail``): a misspelt one is a
    400 rather than a page quietly loaded without what the client asked for.
    """
    if profile == DEFAULT_PROFILE:
        return
    known = profiles_of(info)
    if profile not in known:
        message = f"unknown profile {profile!r} for {info.name}; profiles: {', '.join(known)}"
        raise QueryError(message, errors=[FieldError("profile", message)])
