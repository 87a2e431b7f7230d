"""Signed keyset cursors: round trips, tampering, foreign queries and expiry."""

from __future__ import annotations

import base64
import enum
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from loom.core.errors import ConfigError, CursorError
from loom.core.query import CursorCodec

SECRET = b"k" * 32
FP = b"\x01" * 16


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


class Size(enum.Enum):
    SMALL = "s"


@pytest.mark.parametrize(
    "values",
    [
        (5, 42),
        (None, 1),
        ("Zoë ünïcode", b"\x00\xff", True, 1.5, -(2**63)),
        (datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC), 1),
        (datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone(timedelta(hours=-3))), 1),
        (datetime(2024, 5, 6, 7, 8, 9), 1),
        (date(2024, 2, 29), time(23, 59, 1, 5), timedelta(days=-1, seconds=5, microseconds=7)),
        (Decimal("12345678901234567890.000000001"), Decimal("-0.00")),
        (UUID("12345678-1234-5678-1234-567812345678"), None),
    ],
)
def test_values_round_trip_with_their_types(values: tuple[Any, ...]) -> None:
    codec = CursorCodec(SECRET)
    decoded = codec.decode(codec.encode("Product", FP, values), "Product", FP)
    assert decoded == values
    assert [type(v) for v in decoded] == [type(v) for v in values]
    for before, after in zip(values, decoded, strict=True):
        if isinstance(before, datetime):
            assert after.utcoffset() == before.utcoffset()
        if isinstance(before, Decimal):
            assert str(after) == str(before)


def test_enums_travel_as_their_value() -> None:
    codec = CursorCodec(SECRET)
    assert codec.decode(codec.encode("P", FP, (Size.SMALL,)), "P", FP) == ("s",)


def test_token_is_urlsafe_without_padding() -> None:
    token = CursorCodec(SECRET).encode("Product", FP, ("a/b+c?", 10**30 // 10**20))
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_unsupported_value_type_is_a_clear_type_error() -> None:
    with pytest.raises(TypeError, match="a cursor cannot carry a dict value"):
        CursorCodec(SECRET).encode("P", FP, ({"a": 1},))


def _flip(token: str, index: int) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    replacement = alphabet[(alphabet.index(token[index]) + 1) % len(alphabet)]
    return token[:index] + replacement + token[index + 1 :]


def test_every_single_character_change_is_rejected() -> None:
    codec = CursorCodec(SECRET)
    token = codec.encode("Product", FP, (5, 42))
    for index in range(len(token)):
        with pytest.raises(CursorError) as caught:
            codec.decode(_flip(token, index), "Product", FP)
        assert caught.value.message.startswith("cursor is not valid (altered, truncated")


@pytest.mark.parametrize("token", ["", "!!!", "abc", "a" * 10, "é"])
def test_garbage_is_rejected(token: str) -> None:
    with pytest.raises(CursorError, match="cursor is not valid"):
        CursorCodec(SECRET).decode(token, "Product", FP)


def test_truncated_and_extended_tokens_are_rejected() -> None:
    codec = CursorCodec(SECRET)
    token = codec.encode("Product", FP, (5, 42))
    for bad in (token[:-4], token + "AAAA"):
        with pytest.raises(CursorError, match="cursor is not valid"):
            codec.decode(bad, "Product", FP)


def test_a_cursor_signed_with_another_key_is_rejected() -> None:
    token = CursorCodec(b"other-secret").encode("Product", FP, (1,))
    with pytest.raises(CursorError, match="signed with another key"):
        CursorCodec(SECRET).decode(token, "Product", FP)


def test_payload_edits_with_a_recomputed_mac_need_the_key() -> None:
    codec = CursorCodec(SECRET)
    blob = bytearray(base64.urlsafe_b64decode(codec.encode("Product", FP, (1,)) + "=="))
    blob[-33] ^= 1  # the last payload byte: the key value
    forged = base64.urlsafe_b64encode(bytes(blob)).rstrip(b"=").decode()
    with pytest.raises(CursorError, match="cursor is not valid"):
        codec.decode(forged, "Product", FP)


def test_foreign_model_is_named() -> None:
    codec = CursorCodec(SECRET)
    with pytest.raises(CursorError) as caught:
        codec.decode(codec.encode("Order", FP, (1,)), "Product", FP)
    assert caught.value.message == (
        "cursor belongs to a list of 'Order', not 'Product'; "
        "drop the cursor to start again from the first page"
    )
    assert caught.value.errors[0].field == "cursor"


def test_foreign_query_is_rejected() -> None:
    codec = CursorCodec(SECRET)
    with pytest.raises(CursorError, match="cursor was issued for another query on Product"):
        codec.decode(codec.encode("Product", FP, (1,)), "Product", b"\x02" * 16)


def test_expiry() -> None:
    clock = Clock()
    codec = CursorCodec(SECRET, ttl=60, clock=clock)
    token = codec.encode("Product", FP, (1,))
    clock.now += 59
    assert codec.decode(token, "Product", FP) == (1,)
    clock.now += 1
    with pytest.raises(CursorError) as caught:
        codec.decode(token, "Product", FP)
    assert caught.value.message == (
        "cursor expired at 2023-11-14T22:14:20+00:00; "
        "drop the cursor to start again from the first page"
    )


def test_a_codec_without_ttl_accepts_old_cursors() -> None:
    clock = Clock()
    codec = CursorCodec(SECRET, clock=clock)
    token = codec.encode("Product", FP, (1,))
    clock.now += 10**9
    assert codec.decode(token, "Product", FP) == (1,)
    assert codec.ttl is None


def test_a_token_carries_its_own_expiry() -> None:
    clock = Clock()
    long_lived = CursorCodec(SECRET, ttl=10**9, clock=clock).encode("Product", FP, (1,))
    short = CursorCodec(SECRET, ttl=1, clock=clock)
    clock.now += 5
    assert short.decode(long_lived, "Product", FP) == (1,)  # the token's own expiry rules


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"secret": b""}, "the cursor signing secret is empty"),
        ({"secret": SECRET, "ttl": 0}, "cursor ttl must be a positive number of seconds, got 0"),
    ],
)
def test_bad_configuration(kwargs: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        CursorCodec(**kwargs)
