"""The query-string parser: every operator, sort keys, pagination, and 400s naming parameters."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qsl

import pytest

from loom.core.errors import QueryError
from loom.core.model import model_info
from loom.core.query import (
    FilterGroup,
    FilterOp,
    FilterSpec,
    PaginationMode,
    QuerySpec,
    SortDirection,
    SortSpec,
)
from loom.core.use_case import ParamSpec
from loom.rest import ListQuery, RouteQuery, default_fields, parse_query
from tests.unit.rest.models import Item

INFO = model_info(Item)
LISTING = ListQuery(
    info=INFO,
    filterable=default_fields(INFO),
    sortable=default_fields(INFO),
    pagination=PaginationMode.OFFSET,
    default_limit=50,
    max_limit=100,
)
ROUTE = RouteQuery(listing=LISTING, params={"profile": ParamSpec("profile", str, "default")})


def parse(query: str, route: RouteQuery = ROUTE) -> QuerySpec:
    spec, _ = parse_query(parse_qsl(query, keep_blank_values=True), route)
    assert spec is not None
    return spec


def filters(query: str) -> tuple[FilterSpec, ...]:
    group = parse(query).filters
    assert isinstance(group, FilterGroup)
    return group.filters


def fails(query: str, route: RouteQuery = ROUTE) -> list[str]:
    with pytest.raises(QueryError) as info:
        parse_query(parse_qsl(query, keep_blank_values=True), route)
    assert info.value.status == 400
    return [error.field for error in info.value.errors]


def test_private_columns_are_not_filterable_or_sortable_by_default() -> None:
    assert "secret" not in default_fields(INFO)
    assert default_fields(INFO)[:3] == ("id", "name", "price")


def test_an_empty_query_string_is_the_default_page() -> None:
    spec = parse("")
    assert spec.filters is None
    assert spec.limit == 50
    assert spec.page == 1
    assert spec.pagination is PaginationMode.OFFSET
    assert spec.sort == (SortSpec(field="id"),)  # the key tiebreaker


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("price=5", FilterSpec(field="price", op=FilterOp.EQ, value=5)),
        ("price__eq=5", FilterSpec(field="price", op=FilterOp.EQ, value=5)),
        ("price__ne=5", FilterSpec(field="price", op=FilterOp.NE, value=5)),
        ("price__gt=5", FilterSpec(field="price", op=FilterOp.GT, value=5)),
        ("price__gte=5", FilterSpec(field="price", op=FilterOp.GTE, value=5)),
        ("price__lt=5", FilterSpec(field="price", op=FilterOp.LT, value=5)),
        ("price__lte=5", FilterSpec(field="price", op=FilterOp.LTE, value=5)),
        ("price__in=1,2,3", FilterSpec(field="price", op=FilterOp.IN, value=(1, 2, 3))),
        ("price__not_in=1,2", FilterSpec(field="price", op=FilterOp.NOT_IN, value=(1, 2))),
        ("price__between=1,9", FilterSpec(field="price", op=FilterOp.BETWEEN, value=(1, 9))),
        ("name__like=a%25", FilterSpec(field="name", op=FilterOp.LIKE, value="a%")),
        ("name__ilike=A%25", FilterSpec(field="name", op=FilterOp.ILIKE, value="A%")),
        ("name__startswith=ab", FilterSpec(field="name", op=FilterOp.STARTSWITH, value="ab")),
        ("name__contains=b", FilterSpec(field="name", op=FilterOp.CONTAINS, value="b")),
        ("note__is_null=true", FilterSpec(field="note", op=FilterOp.IS_NULL, value=True)),
        ("note__is_null=FALSE", FilterSpec(field="note", op=FilterOp.IS_NULL, value=False)),
        (
            "seen_at__gte=2024-01-02",
            FilterSpec(field="seen_at", op=FilterOp.GTE, value=datetime(2024, 1, 2, tzinfo=UTC)),
        ),
    ],
)
def test_every_operator(query: str, expected: FilterSpec) -> None:
    assert filters(query) == (expected,)


def test_filters_combine_with_and_in_request_order() -> None:
    assert [f.field for f in filters("price__gte=1&name=a&price__lte=9")] == [
        "price",
        "name",
        "price",
    ]


def test_several_sort_keys_keep_their_order_and_direction() -> None:
    assert parse("sort=-price,name").sort == (
        SortSpec(field="price", direction=SortDirection.DESC),
        SortSpec(field="name"),
        SortSpec(field="id"),
    )
    assert parse("sort=-price&sort=+name").sort[:2] == parse("sort=-price,name").sort[:2]


def test_pagination_follows_page_or_cursor_when_not_given() -> None:
    assert parse("cursor=abc").pagination is PaginationMode.CURSOR
    cursor_route = RouteQuery(
        listing=ListQuery(
            info=INFO,
            filterable=("id",),
            sortable=("id",),
            pagination=PaginationMode.CURSOR,
        ),
        params={},
    )
    assert parse("", cursor_route).pagination is PaginationMode.CURSOR
    assert parse("page=2", cursor_route).pagination is PaginationMode.OFFSET
    assert parse("pagination=offset", cursor_route).pagination is PaginationMode.OFFSET
    assert parse("total=true&page=1", cursor_route).include_total is True


def test_limit_page_and_total() -> None:
    spec = parse("limit=100&page=3&total=true")
    assert (spec.limit, spec.page, spec.include_total) == (100, 3, True)


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("colour=red", ["colour"]),
        ("secret=s", ["secret"]),
        ("price__near=1", ["price__near"]),
        ("price=abc", ["price"]),
        ("price__in=", ["price__in"]),
        ("price__between=1,2,3", ["price__between"]),
        ("note__is_null=perhaps", ["note__is_null"]),
        ("price__startswith=1", ["price__startswith"]),
        ("sort=secret", ["sort"]),
        ("sort=colour,-nope", ["sort", "sort"]),
        ("limit=0", ["limit"]),
        ("limit=101", ["limit"]),
        ("limit=1.5", ["limit"]),
        ("limit=", ["limit"]),
        ("page=0", ["page"]),
        ("page=-1", ["page"]),
        ("page=x", ["page"]),
        ("cursor=", ["cursor"]),
        ("cursor=a&page=2", ["cursor"]),
        ("pagination=cursor&page=2", ["page"]),
        ("pagination=offset&cursor=a", ["cursor"]),
        ("pagination=pages", ["pagination"]),
        ("total=yes", ["total"]),
        ("pagination=cursor&total=true", ["total"]),
        ("page=1&page=2", ["page"]),
        ("profile=a&profile=b", ["profile"]),
        ("colour=red&limit=0", ["colour", "limit"]),
    ],
)
def test_bad_parameters_are_400_naming_each(query: str, fields: list[str]) -> None:
    assert fails(query) == fields


def test_messages_name_the_value_and_the_fix() -> None:
    with pytest.raises(QueryError) as info:
        parse_query([("colour", "red")], ROUTE)
    message = info.value.errors[0].message
    assert "unknown query parameter 'colour'" in message
    assert "accepted: profile, sort, limit" in message
    assert "on id, name, price" in message
    with pytest.raises(QueryError) as sort_info:
        parse_query([("sort", "colour")], ROUTE)
    assert "sortable fields: id, name, price" in sort_info.value.errors[0].message


def test_use_case_parameters_are_converted_and_returned() -> None:
    route = RouteQuery(listing=None, params={"days": ParamSpec("days", int, 7)})
    assert parse_query([("days", "3")], route) == (None, {"days": 3})
    assert parse_query([], route) == (None, {})
    with pytest.raises(QueryError) as info:
        parse_query([("days", "soon")], route)
    assert info.value.errors[0].field == "days"
    with pytest.raises(QueryError) as unknown:
        parse_query([("limit", "3")], route)
    assert unknown.value.errors[0].field == "limit"  # no list: limit is not a parameter here


def test_more_than_eight_sort_keys_is_one_error() -> None:
    assert fails("sort=" + ",".join(["name"] * 9)) == ["sort"]
    assert fails("sort=id,name,id,name,id&sort=name,id,name,id") == ["sort"]
    assert len(parse("sort=" + ",".join(["id"] * 1)).sort) == 1


def test_numbers_too_long_for_a_page_are_refused_before_conversion() -> None:
    assert fails("page=" + "9" * 5000) == ["page"]
    assert fails("limit=" + "1" * 19) == ["limit"]
    assert parse("page=" + "0" * 30 + "2").page == 2


def test_nul_in_a_value_is_a_400_naming_the_parameter() -> None:
    assert fails("name=a%00b") == ["name"]
    assert fails("name__in=a,%00") == ["name__in"]
    assert fails("profile=%00") == ["profile"]


def test_a_page_ending_past_the_largest_offset_is_refused() -> None:
    assert fails("page=42949673&limit=50") == ["page"]
    assert parse("page=42949672&limit=50").page == 42949672
