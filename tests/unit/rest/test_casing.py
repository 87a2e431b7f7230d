"""camelCase variants: names as msgspec writes them, bodies, results, errors, query strings."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qsl

import msgspec
import pytest

from loom.core.command import Command, Patch
from loom.core.errors import FieldError, QueryError, ValidationError
from loom.core.model import model_info
from loom.core.query import CursorResult, PageResult, SortSpec
from loom.core.use_case import ParamSpec
from loom.rest import ListQuery, RouteQuery, default_fields, parse_query
from loom.rest._casing import CamelCase, camel
from tests.unit.rest.models import Item


class Address(msgspec.Struct, frozen=True, kw_only=True):
    zip_code: str
    street_name: str = ""


class Order(Command, frozen=True):
    order_ref: str
    ship_to: Address | None = None
    line_notes: list[str] = msgspec.field(default_factory=list)
    gift_note: Patch[str] = None


class Loose(Command, frozen=True, forbid_unknown_fields=False):
    some_value: int


@pytest.mark.parametrize(
    "name",
    ["price_cents", "_private", "a__b", "trailing_", "x1_y2", "already", "HTTP_code", "a_b_c"],
)
def test_camel_spells_names_as_msgspec_does(name: str) -> None:
    renamed = msgspec.defstruct("S", [(name, int)], rename="camel")
    assert camel(name) == renamed.__struct_encode_fields__[0]


def test_a_camel_body_decodes_to_the_declared_command() -> None:
    decode = CamelCase().decoder(Order)
    body = b'{"orderRef": "R1", "shipTo": {"zipCode": "N1"}, "lineNotes": ["x"]}'
    order = decode(body)
    assert type(order) is Order
    assert type(order.ship_to) is Address
    assert order == Order(order_ref="R1", ship_to=Address(zip_code="N1"), line_notes=["x"])
    assert order.sent_fields() == {"order_ref", "ship_to", "line_notes"}
    # The declared class encodes with its own names: a job payload stays snake_case.
    assert b'"order_ref"' in msgspec.json.encode(order)


def test_a_camel_body_rejects_snake_case_names() -> None:
    decode = CamelCase().decoder(Order)
    with pytest.raises(ValidationError) as info:
        decode(b'{"order_ref": "R1"}')
    assert info.value.message == "invalid Order"
    (error,) = info.value.errors
    assert error.field in {"order_ref", "orderRef"}
    with pytest.raises(ValidationError) as nested:
        decode(b'{"orderRef": "R1", "shipTo": {"zipCode": 5}}')
    assert nested.value.errors[0].field == "shipTo.zipCode"


class Basket(Command, frozen=True):
    addresses: list[Address]
    labels: dict[str, int] = msgspec.field(default_factory=dict)


def test_snake_case_body_keys_are_rewritten_by_the_declared_type() -> None:
    casing = CamelCase()
    rewrite = casing.input_keys(Order)
    assert rewrite is not None
    body = b'{"order_ref": "R1", "ship_to": {"zip_code": "N1"}, "giftNote": "hi"}'
    order = casing.decoder(Order)(rewrite(body))
    assert order == Order(order_ref="R1", ship_to=Address(zip_code="N1"), gift_note="hi")
    assert {"order_ref", "ship_to", "gift_note"} <= order.sent_fields()
    camel_body = b'{"orderRef": "R1"}'
    assert rewrite(camel_body) is camel_body  # no underscore: not even parsed
    # The keys of a dict field are data, not field names.
    basket = casing.input_keys(Basket)
    assert basket is not None
    rewritten = basket(b'{"addresses": [{"zip_code": "A"}], "labels": {"gift_wrap": 1}}')
    assert msgspec.json.decode(rewritten) == {
        "addresses": [{"zipCode": "A"}],
        "labels": {"gift_wrap": 1},
    }
    assert casing.aliases(Order) == {
        "order_ref": "orderRef",
        "ship_to": "shipTo",
        "line_notes": "lineNotes",
        "gift_note": "giftNote",
    }
    assert casing.input_keys(Loose) is not None
    assert CamelCase().input_keys(Address) is not None


def test_a_field_sent_under_both_spellings_is_refused() -> None:
    rewrite = CamelCase().input_keys(Order)
    assert rewrite is not None
    with pytest.raises(ValidationError) as info:
        rewrite(b'{"orderRef": "R1", "order_ref": "R2"}')
    assert info.value.errors == (
        FieldError("orderRef", "sent twice, as orderRef and order_ref; send one"),
    )
    with pytest.raises(ValidationError) as nested:
        rewrite(b'{"orderRef": "R1", "shipTo": {"zipCode": "A", "zip_code": "B"}}')
    assert nested.value.errors[0].field == "shipTo.zipCode"


def test_a_patch_field_sent_as_null_stays_sent() -> None:
    order = CamelCase().decoder(Order)(b'{"orderRef": "R1", "giftNote": null}')
    assert order.gift_note is None
    assert "gift_note" in order.sent_fields()


def test_variants_keep_the_struct_config() -> None:
    casing = CamelCase()
    loose = casing.variant(Loose)
    assert issubclass(loose, Loose)
    assert msgspec.json.decode(b'{"someValue": 1, "other": 2}', type=loose).some_value == 1
    assert casing.variant(Order) is casing.variant(Order)
    assert casing.variant(int) is int
    assert casing.variant(list[int]) == list[int]


def test_results_are_written_in_camel_case() -> None:
    casing = CamelCase()
    encode = casing.encoder(PageResult[Address] | CursorResult[Address])
    page = PageResult(
        items=[Address(zip_code="N1")], total_count=1, page=1, limit=10, has_next=False
    )
    assert msgspec.json.decode(encode(page)) == {
        "items": [{"zipCode": "N1", "streetName": ""}],
        "totalCount": 1,
        "page": 1,
        "limit": 10,
        "hasNext": False,
    }
    cursor: CursorResult[Address] = CursorResult(items=[], next_cursor="c", has_next=True)
    assert msgspec.json.decode(encode(cursor)) == {
        "items": [],
        "nextCursor": "c",
        "hasNext": True,
    }
    listed = casing.encoder(list[Address])([Address(zip_code="N1")])
    assert msgspec.json.decode(listed) == [{"zipCode": "N1", "streetName": ""}]


def test_undeclared_results_have_their_keys_renamed() -> None:
    encode = CamelCase().encoder(None)
    when = datetime(2020, 1, 2, tzinfo=UTC)
    assert msgspec.json.decode(encode({"seen_at": when, "ship_to": Address(zip_code="N1")})) == {
        "seenAt": "2020-01-02T00:00:00Z",
        "shipTo": {"zipCode": "N1", "streetName": ""},
    }
    # A result that is not the declared shape is renamed the same way.
    other = CamelCase().encoder(Address)(Order(order_ref="R"))
    assert msgspec.json.decode(other)["orderRef"] == "R"


def test_errors_a_use_case_raises_name_camel_case_fields() -> None:
    casing = CamelCase()
    raised = ValidationError(
        "invalid",
        errors=[FieldError("ship_to.zip_code", "bad"), FieldError("user_id", "bad")],
    )
    renamed = casing.error(raised, keep={"user_id"})
    assert isinstance(renamed, ValidationError)
    assert [e.field for e in renamed.errors] == ["shipTo.zipCode", "user_id"]
    assert raised.errors[0].field == "ship_to.zip_code"
    query = QueryError("bad", errors=[FieldError("price_cents__gte", "bad")])
    assert casing.error(query) is query


INFO = model_info(Item)
LISTING = ListQuery(
    info=INFO,
    filterable=default_fields(INFO),
    sortable=default_fields(INFO),
    aliases={camel(name): name for name in INFO.columns},
)
ROUTE = RouteQuery(listing=LISTING, params={"profileName": ParamSpec("profile_name", str, "x")})


def test_the_query_string_reads_camel_case_names() -> None:
    query, params = parse_query(
        parse_qsl("seenAt__is_null=true&sort=-createdAt,id&profileName=p"), ROUTE
    )
    assert query is not None
    assert query.filters is not None
    assert query.filters.filters[0].field == "seen_at"
    assert query.sort[0] == SortSpec(field="created_at", direction="DESC")
    assert params == {"profile_name": "p"}


@pytest.mark.parametrize("text", ["seen_at__is_null=true", "sort=created_at", "secret=x"])
def test_snake_case_and_private_names_are_unknown_in_camel_case(text: str) -> None:
    with pytest.raises(QueryError) as info:
        parse_query(parse_qsl(text), ROUTE)
    message = info.value.errors[0].message
    assert "seenAt" in message
    assert "seen_at," not in message
