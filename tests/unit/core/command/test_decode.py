"""Strict decoding: unknown fields and wrong types are 422s that name the field."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from loom.core.command import Command, Patch, decode_command
from loom.core.errors import FieldError, ValidationError


class Line(msgspec.Struct, forbid_unknown_fields=True):
    sku: str
    quantity: int


class PlaceOrder(Command, frozen=True):
    customer: str
    lines: list[Line] = msgspec.field(default_factory=list)
    note: Patch[str] = None


def _field_errors(data: object) -> tuple[FieldError, ...]:
    with pytest.raises(ValidationError) as caught:
        decode_command(PlaceOrder, data)  # type: ignore[arg-type]  # bad inputs on purpose
    assert caught.value.status == 422
    return caught.value.errors


def test_valid_json_decodes_to_the_command() -> None:
    cmd = decode_command(PlaceOrder, b'{"customer": "ada", "lines": [{"sku": "A", "quantity": 2}]}')

    assert cmd == PlaceOrder(customer="ada", lines=[Line(sku="A", quantity=2)])


def test_an_unknown_field_is_named_with_the_accepted_fields() -> None:
    errors = _field_errors(b'{"customer": "ada", "nickname": "x"}')

    assert errors == (
        FieldError("nickname", "unknown field; expected one of: customer, lines, note"),
    )


def test_a_missing_required_field_is_named() -> None:
    assert _field_errors(b"{}") == (FieldError("customer", "required field is missing"),)


def test_a_wrong_type_is_named() -> None:
    assert _field_errors(b'{"customer": 5}') == (FieldError("customer", "expected str, got int"),)


def test_a_nested_field_is_named_with_a_dotted_path() -> None:
    errors = _field_errors(b'{"customer": "a", "lines": [{"sku": "A", "quantity": "2"}]}')

    assert errors == (FieldError("lines.0.quantity", "expected int, got str"),)


def test_a_nested_missing_or_unknown_field_is_named_with_its_path() -> None:
    missing = _field_errors(b'{"customer": "a", "lines": [{"sku": "A"}]}')
    unknown = _field_errors(b'{"customer": "a", "lines": [{"sku": "A", "quantity": 1, "x": 0}]}')

    assert missing == (FieldError("lines.0.quantity", "required field is missing"),)
    assert unknown == (FieldError("lines.0.x", "unknown field"),)


def test_malformed_json_is_reported_on_the_body() -> None:
    (error,) = _field_errors(b'{"customer": ')

    assert error.field == "body"
    assert error.message.startswith("malformed JSON")


def test_a_body_that_is_not_an_object_is_reported_on_the_body() -> None:
    assert _field_errors(b"[1, 2]") == (FieldError("body", "expected object, got array"),)


def test_a_mapping_is_decoded_strictly() -> None:
    assert decode_command(PlaceOrder, {"customer": "ada"}) == PlaceOrder(customer="ada")
    assert _field_errors({"customer": "ada", "lines": [{"sku": "A", "quantity": "2"}]}) == (
        FieldError("lines.0.quantity", "expected int, got str"),
    )


def test_no_payload_decodes_like_an_empty_object() -> None:
    class Touch(Command, frozen=True):
        note: Patch[str] = None

    assert decode_command(Touch, None).sent_fields() == frozenset()
    assert _field_errors(None) == (FieldError("customer", "required field is missing"),)


def test_a_command_instance_is_returned_as_is() -> None:
    cmd = PlaceOrder(customer="ada")

    assert decode_command(PlaceOrder, cmd) is cmd


def test_another_struct_is_read_field_by_field() -> None:
    class Draft(msgspec.Struct):
        customer: str

    assert decode_command(PlaceOrder, Draft(customer="ada")) == PlaceOrder(customer="ada")


def test_the_error_message_names_the_command_and_the_field() -> None:
    with pytest.raises(ValidationError) as caught:
        decode_command(PlaceOrder, b'{"customer": 5}')

    assert str(caught.value) == "invalid PlaceOrder (customer: expected str, got int)"


NUL = "text may not contain the NUL character (\\u0000); remove it"


class Tagged(Command, frozen=True):
    name: str
    tags: list[str] = msgspec.field(default_factory=list)
    extra: dict[str, Any] = msgspec.field(default_factory=dict)


@pytest.mark.parametrize("kind", [bytes, str, bytearray, memoryview])
def test_nul_in_any_string_is_refused_naming_each_one(kind: Any) -> None:
    text = (
        '{"name": "a\\u0000", "tags": ["ok", "\\u0000"], "extra": {"k\\u0000": {"v": "\\u0000"}}}'
    )
    data = text if kind is str else kind(text.encode())
    with pytest.raises(ValidationError) as caught:
        decode_command(Tagged, data)
    assert caught.value.status == 422
    assert caught.value.errors == (
        FieldError("name", NUL),
        FieldError("tags.1", NUL),
        FieldError("extra.k\x00", NUL),
        FieldError("extra.k\x00.v", NUL),
    )


def test_an_escaped_backslash_before_u0000_is_plain_text() -> None:
    assert decode_command(Tagged, b'{"name": "a\\\\u0000"}').name == "a\\u0000"


def test_json_too_deep_to_decode_is_a_validation_error() -> None:
    body = b'{"name": "a", "extra": {"k": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}"
    with pytest.raises(ValidationError) as caught:
        decode_command(Tagged, body)
    assert caught.value.errors == (
        FieldError("body", "arrays and objects nested too deeply; flatten them"),
    )
