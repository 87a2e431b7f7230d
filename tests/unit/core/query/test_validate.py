"""Validation of query specs against a model: fields, operators, values, limits, allowlists."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from loom.core.errors import QueryError
from loom.core.model import BaseModel, ColumnField, model_info
from loom.core.query import (
    MAX_FILTER_VALUES,
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
    query_fingerprint,
    validate_filters,
    validate_query,
)


class Color(enum.StrEnum):
    RED = "red"
    BLUE = "blue"


class Product(BaseModel):
    __tablename__ = "products"
    name: str
    price_cents: int
    id: int = ColumnField(primary_key=True, autoincrement=True)
    price: Decimal | None = None
    active: bool = True
    color: Color = Color.RED
    released_at: datetime | None = None
    token: UUID | None = None
    tags: list[str] = ColumnField(default_factory=list)


INFO = model_info(Product)


def _one(field: str, op: Any, value: Any) -> QuerySpec:
    return QuerySpec(filters=FilterGroup(filters=(FilterSpec(field=field, op=op, value=value),)))


def _any(value: str) -> Any:
    """A plain string where the spec declares an enum, as hand-written code passes it."""
    return value


def _value(field: str, op: FilterOp, value: Any) -> Any:
    checked = validate_query(_one(field, op, value), INFO)
    assert checked.filters is not None
    return checked.filters.filters[0].value


def _error(query: QuerySpec, **kwargs: Any) -> QueryError:
    with pytest.raises(QueryError) as caught:
        validate_query(query, INFO, **kwargs)
    return caught.value


def test_unknown_field_names_it_and_lists_the_filterable_fields() -> None:
    error = _error(_one("prise", FilterOp.EQ, 1))
    assert error.message == (
        "unknown filter field 'prise' on Product; filterable fields: id, name, price_cents, "
        "price, active, color, released_at, token, tags"
    )
    assert error.status == 400
    assert [e.field for e in error.errors] == ["prise"]


def test_filterable_allowlist_is_enforced_and_listed() -> None:
    error = _error(_one("price_cents", FilterOp.EQ, 1), filterable={"name", "id"})
    assert "filterable fields: id, name" in error.message


@pytest.mark.parametrize(
    ("field", "op", "value", "expected"),
    [
        ("price_cents", FilterOp.EQ, "5", 5),
        ("price_cents", FilterOp.IN, ["1", 2], (1, 2)),
        ("price_cents", FilterOp.BETWEEN, ["1", "9"], (1, 9)),
        ("price", FilterOp.GTE, "1.50", Decimal("1.50")),
        ("active", FilterOp.EQ, "false", False),
        ("color", FilterOp.EQ, "blue", Color.BLUE),
        ("released_at", FilterOp.LT, "2024-01-01T00:00:00Z", datetime(2024, 1, 1, tzinfo=UTC)),
        ("released_at", FilterOp.LT, "2024-01-01T02:00:00+02:00", datetime(2024, 1, 1, tzinfo=UTC)),
        ("released_at", FilterOp.LT, "2024-01-01T00:00:00", datetime(2024, 1, 1, tzinfo=UTC)),
        ("released_at", FilterOp.GTE, "2024-03-05", datetime(2024, 3, 5, tzinfo=UTC)),
        (
            "token",
            FilterOp.EQ,
            "12345678123456781234567812345678",
            UUID(int=0x12345678123456781234567812345678),
        ),
        ("name", FilterOp.IS_NULL, "true", True),
        ("name", FilterOp.IS_NULL, None, True),
        ("tags", FilterOp.IS_NULL, False, False),
        ("released_at", FilterOp.EQ, None, None),
    ],
)
def test_values_convert_to_the_column_type(
    field: str, op: FilterOp, value: Any, expected: Any
) -> None:
    assert _value(field, op, value) == expected


def test_a_bad_date_is_reported_as_not_a_datetime() -> None:
    error = _error(_one("released_at", FilterOp.GTE, "2024-13-05"))
    assert "'2024-13-05' is not a valid datetime (Invalid RFC3339 encoded datetime)" in str(error)


def test_a_value_that_does_not_convert_names_field_value_and_type() -> None:
    error = _error(_one("price_cents", FilterOp.GT, "cheap"))
    assert "filter 'price_cents' (gt) on Product: 'cheap' is not a valid int" in error.message
    assert error.errors[0].field == "price_cents"


@pytest.mark.parametrize(
    ("field", "op", "fragment"),
    [
        (
            "price_cents",
            FilterOp.LIKE,
            "operator 'like' does not apply to field 'price_cents' (int)",
        ),
        ("active", FilterOp.GT, "operator 'gt' does not apply to field 'active' (bool)"),
        ("tags", FilterOp.EQ, "operator 'eq' does not apply to field 'tags' (list[str])"),
        ("color", FilterOp.BETWEEN, "operator 'between' does not apply to field 'color' (Color)"),
    ],
)
def test_operators_must_fit_the_type(field: str, op: FilterOp, fragment: str) -> None:
    error = _error(_one(field, op, "x"))
    assert fragment in error.message
    assert "operators for it:" in error.message


def test_operator_list_in_the_message_is_the_one_that_fits() -> None:
    error = _error(_one("active", FilterOp.LIKE, "x"))
    assert error.message.endswith("operators for it: eq, ne, in, not_in, is_null")


def test_unknown_operator_spelling_is_rejected() -> None:
    error = _error(_one("name", "matches", "x"))
    assert "unknown filter operator 'matches' on field 'name'" in error.message


@pytest.mark.parametrize(
    ("op", "value", "fragment"),
    [
        (FilterOp.IN, [], "takes a non-empty list of values, got an empty list"),
        (FilterOp.IN, "1,2", "takes a non-empty list of values, got '1,2'"),
        (FilterOp.NOT_IN, 3, "takes a non-empty list of values, got 3"),
        (FilterOp.BETWEEN, [1], "takes a pair [low, high], got 1 values"),
        (FilterOp.BETWEEN, 1, "takes a pair [low, high], got 1"),
        (FilterOp.IS_NULL, "maybe", "takes true or false, got 'maybe'"),
        (FilterOp.EQ, None, "needs a value, got null ('price_cents' is never null)"),
        (FilterOp.IN, [1, None], "null is not a value here; use is_null"),
    ],
)
def test_operator_value_shapes(op: FilterOp, value: Any, fragment: str) -> None:
    assert fragment in _error(_one("price_cents", op, value)).message


def test_like_pattern_ending_in_a_lone_escape_is_rejected() -> None:
    assert "ends with the escape character" in _error(_one("name", FilterOp.LIKE, "50\\")).message
    assert _value("name", FilterOp.LIKE, "50\\\\") == "50\\\\"


def test_every_problem_is_reported_at_once() -> None:
    query = QuerySpec(
        filters=FilterGroup(
            filters=(FilterSpec(field="nope", value=1),),
            groups=(FilterGroup(filters=(FilterSpec(field="price_cents", value="x"),)),),
        ),
        sort=(SortSpec(field="colour"),),
        limit=0,
        page=0,
    )
    error = _error(query)
    assert [e.field for e in error.errors] == ["nope", "price_cents", "colour", "limit", "page"]


@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        ({"limit": 0}, "limit", "limit must be between 1 and 1000, got 0"),
        ({"limit": 1001}, "limit", "limit must be between 1 and 1000, got 1001"),
        ({"page": 0}, "page", "page must be 1 or more, got 0"),
        ({"cursor": "abc"}, "cursor", "a cursor was given with offset pagination"),
        ({"pagination": "sideways"}, "pagination", "unknown pagination 'sideways'"),
    ],
)
def test_pagination_limits(changes: dict[str, Any], field: str, fragment: str) -> None:
    error = _error(QuerySpec(**changes))
    assert [e.field for e in error.errors] == [field]
    assert fragment in error.message


def test_max_limit_is_a_parameter() -> None:
    assert "between 1 and 10" in _error(QuerySpec(limit=11), max_limit=10).message
    assert validate_query(QuerySpec(limit=10), INFO, max_limit=10).limit == 10


def test_sort_gets_the_primary_key_as_tiebreaker() -> None:
    checked = validate_query(
        QuerySpec(sort=(SortSpec(field="name", direction=_any("DESC")),)), INFO
    )
    assert checked.sort == (
        SortSpec(field="name", direction=SortDirection.DESC),
        SortSpec(field="id", direction=SortDirection.ASC),
    )


def test_sort_naming_the_key_is_kept_as_is() -> None:
    sort = (SortSpec(field="id", direction=SortDirection.DESC), SortSpec(field="name"))
    assert validate_query(QuerySpec(sort=sort), INFO).sort == sort


def test_sort_errors() -> None:
    unknown = _error(QuerySpec(sort=(SortSpec(field="name"),)), sortable=("price_cents",))
    assert unknown.message == "unknown sort field 'name' on Product; sortable fields: price_cents"
    twice = _error(QuerySpec(sort=(SortSpec(field="name"), SortSpec(field="name"))))
    assert twice.message == "sort field 'name' is given twice; give each field once"
    json_sort = _error(QuerySpec(sort=(SortSpec(field="tags"),)))
    assert json_sort.message == "field 'tags' (list[str]) on Product cannot be sorted on"


def test_empty_groups_are_dropped_and_ops_normalized() -> None:
    group = FilterGroup(
        filters=(FilterSpec(field="name", op=_any("eq"), value="a"),),
        op=LogicalOp.OR,
        groups=(FilterGroup(),),
    )
    checked = validate_filters(group, INFO)
    assert checked == FilterGroup(
        filters=(FilterSpec(field="name", op=FilterOp.EQ, value="a"),), op=LogicalOp.OR
    )
    assert validate_filters(FilterGroup(groups=(FilterGroup(),)), INFO) is None


def test_fingerprint_is_equal_for_equal_effective_queries() -> None:
    def fp(query: QuerySpec) -> bytes:
        return query_fingerprint("Product", validate_query(query, INFO))

    base = fp(_one("price_cents", FilterOp.EQ, 5))
    assert fp(_one("price_cents", FilterOp.EQ, "5")) == base
    assert len(base) == 16
    explicit_tiebreak = QuerySpec(
        filters=_one("price_cents", FilterOp.EQ, 5).filters,
        sort=(SortSpec(field="id"),),
        limit=7,
        page=3,
        pagination=PaginationMode.CURSOR,
    )
    assert fp(explicit_tiebreak) == base
    assert fp(_one("price_cents", FilterOp.EQ, 6)) != base
    assert fp(QuerySpec(sort=(SortSpec(field="name"),))) != fp(QuerySpec())
    assert query_fingerprint("Order", validate_query(QuerySpec(), INFO)) != fp(QuerySpec())


def test_queries_too_large_for_any_driver_are_refused() -> None:
    def fields(query: QuerySpec) -> list[str]:
        with pytest.raises(QueryError) as caught:
            validate_query(query, INFO)
        return [e.field for e in caught.value.errors]

    assert fields(_one("id", FilterOp.IN, list(range(MAX_FILTER_VALUES + 1)))) == ["id"]
    assert validate_query(_one("id", FilterOp.IN, list(range(MAX_FILTER_VALUES))), INFO)
    two = FilterGroup(
        filters=(
            FilterSpec(field="id", op=FilterOp.IN, value=list(range(MAX_FILTER_VALUES))),
            FilterSpec(field="name", value="x"),
        )
    )
    assert fields(QuerySpec(filters=two)) == ["filters"]
    assert fields(QuerySpec(sort=(SortSpec(field="name"),) * (MAX_SORT_KEYS + 1))) == ["sort"]
    assert fields(QuerySpec(page=MAX_PAGE_END // 10 + 1, limit=10)) == ["page"]
    assert validate_query(QuerySpec(page=MAX_PAGE_END // 10, limit=10), INFO).page
    assert fields(_one("name", FilterOp.EQ, "a\x00")) == ["name"]
