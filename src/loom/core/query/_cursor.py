"""Opaque, signed keyset cursors.

A cursor carries the sort-key values (primary key last) of the last row a page returned. It is
bound to the model and to a fingerprint of the query's filters and sort, may carry an expiry,
and is signed with HMAC-SHA256, so a client can neither forge a position nor reuse a cursor
with another query.

Token layout: ``urlsafe_b64(payload + mac)`` without padding, where ``payload`` is the msgpack
array ``[version, model, fingerprint, expires_at, values]`` and ``mac`` the 32-byte HMAC of it.
Values keep their types through msgpack extension tags (datetime, date, time, timedelta,
Decimal, UUID); enums travel as their value.

Pure core: imports msgspec, the standard library and ``loom.core`` only.
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import hmac
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal
from typing import Any
from uuid import UUID

import msgspec

from loom.core.errors import ConfigError, CursorError, FieldError

_VERSION = 1
_MAC_SIZE = 32

_EXT_DATETIME = 1
_EXT_DATE = 2
_EXT_TIME = 3
_EXT_DECIMAL = 4
_EXT_UUID = 5
_EXT_TIMEDELTA = 6

_Payload = tuple[int, str, bytes, float | None, list[Any]]

_RESTART = "drop the cursor to start again from the first page"


def _tag(value: Any) -> Any:
    # Order matters: bool is an int and datetime is a date.
    if value is None or isinstance(value, bool | int | float | str | bytes):
        return value
    if isinstance(value, enum.Enum):
        return _tag(value.value)
    if isinstance(value, datetime):
        return msgspec.msgpack.Ext(_EXT_DATETIME, value.isoformat().encode())
    if isinstance(value, date):
        return msgspec.msgpack.Ext(_EXT_DATE, value.isoformat().encode())
    if isinstance(value, dtime):
        return msgspec.msgpack.Ext(_EXT_TIME, value.isoformat().encode())
    if isinstance(value, Decimal):
        return msgspec.msgpack.Ext(_EXT_DECIMAL, str(value).encode())
    if isinstance(value, UUID):
        return msgspec.msgpack.Ext(_EXT_UUID, value.bytes)
    if isinstance(value, timedelta):
        parts = (value.days, value.seconds, value.microseconds)
        return msgspec.msgpack.Ext(_EXT_TIMEDELTA, msgspec.msgpack.encode(parts))
    raise TypeError(
        f"a cursor cannot carry a {type(value).__name__} value ({value!r}); sort keys must be "
        "numbers, text, bytes, booleans, dates, times, decimals, UUIDs or enums"
    )


def _untag(code: int, data: memoryview) -> Any:
    raw = bytes(data)
    if code == _EXT_DATETIME:
        return datetime.fromisoformat(raw.decode())
    if code == _EXT_DATE:
        return date.fromisoformat(raw.decode())
    if code == _EXT_TIME:
        return dtime.fromisoformat(raw.decode())
    if code == _EXT_DECIMAL:
        return Decimal(raw.decode())
    if code == _EXT_UUID:
        return UUID(bytes=raw)
    if code == _EXT_TIMEDELTA:
        days, seconds, micros = msgspec.msgpack.decode(raw, type=tuple[int, int, int])
        return timedelta(days=days, seconds=seconds, microseconds=micros)
    raise ValueError(f"unknown cursor value tag {code}")


_DECODER = msgspec.msgpack.Decoder(_Payload, ext_hook=_untag)


class CursorCodec:
    """Encode and verify keyset cursors.

    One codec per signing key; it is immutable and safe to share.

    Args:
        secret: The signing key (``security.cursor_secret``). Every process that must accept
            another's cursors needs the same key.
        ttl: Seconds a cursor stays valid; ``None`` for no expiry.
        clock: Returns the current time in seconds since the epoch (tests pass a fake clock).

    Raises:
        ConfigError: When the secret is empty or the ttl is not positive.

    Example:
        >>> codec = CursorCodec(b"0123456789abcdef0123456789abcdef")
        >>> token = codec.encode("Product", b"fp", (5, 42))
        >>> codec.decode(token, "Product", b"fp")
        (5, 42)
    """

    __slots__ = ("_clock", "_key", "_ttl")

    def __init__(
        self,
        secret: bytes,
        *,
        ttl: float | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not secret:
            raise ConfigError(
                "the cursor signing secret is empty; set security.cursor_secret to a long "
                "random value"
            )
        if ttl is not None and ttl <= 0:
            raise ConfigError(f"cursor ttl must be a positive number of seconds, got {ttl!r}")
        # A key derived for this one purpose: the same secret used elsewhere cannot mint cursors.
        self._key = hmac.new(secret, b"loom.cursor.v1", hashlib.sha256).digest()
        self._ttl = ttl
        self._clock = clock

    @property
    def ttl(self) -> float | None:
        """Seconds a cursor stays valid, or ``None``."""
        return self._ttl

    def encode(self, model_name: str, fingerprint: bytes, values: tuple[Any, ...]) -> str:
        """Make a cursor pointing after the row whose sort-key values are ``values``.

        Args:
            model_name: The model the cursor walks.
            fingerprint: :func:`loom.core.query.query_fingerprint` of the query.
            values: The last row's sort-key values, primary key last.

        Returns:
            The opaque token (URL-safe, no padding).

        Raises:
            TypeError: When a value has a type a cursor cannot carry.
        """
        expires_at = None if self._ttl is None else self._clock() + self._ttl
        payload = msgspec.msgpack.encode(
            (_VERSION, model_name, fingerprint, expires_at, [_tag(v) for v in values])
        )
        mac = hmac.new(self._key, payload, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(payload + mac).rstrip(b"=").decode("ascii")

    def decode(self, token: str, model_name: str, fingerprint: bytes) -> tuple[Any, ...]:
        """Verify a cursor and return the sort-key values it carries.

        Args:
            token: The cursor a client sent back.
            model_name: The model being listed.
            fingerprint: The fingerprint of the query being run.

        Returns:
            The values given to :meth:`encode`, with their types.

        Raises:
            CursorError: When the cursor is malformed or tampered with, was issued for another
                model or another query (filters or sort), or has expired.
        """
        blob = _unbase64(token)
        payload, mac = blob[:-_MAC_SIZE], blob[-_MAC_SIZE:]
        expected = hmac.new(self._key, payload, hashlib.sha256).digest()
        if len(blob) <= _MAC_SIZE or not hmac.compare_digest(mac, expected):
            raise _invalid()
        try:
            version, model, cursor_fp, expires_at, values = _DECODER.decode(payload)
        except (msgspec.DecodeError, ValueError) as exc:
            # Signed by us yet unreadable: another Loom version with the same key.
            raise _invalid() from exc
        if version != _VERSION:
            raise _invalid()
        if model != model_name:
            raise CursorError(
                f"cursor belongs to a list of {model!r}, not {model_name!r}; {_RESTART}",
                errors=_cursor_field(f"cursor of {model!r} used with {model_name!r}"),
            )
        if not hmac.compare_digest(cursor_fp, fingerprint):
            raise CursorError(
                f"cursor was issued for another query on {model_name} (its filters or sort "
                f"differ); keep filters and sort unchanged between pages, or {_RESTART}",
                errors=_cursor_field("cursor of another query (filters or sort differ)"),
            )
        if expires_at is not None and self._clock() >= expires_at:
            when = datetime.fromtimestamp(expires_at, UTC).isoformat(timespec="seconds")
            raise CursorError(
                f"cursor expired at {when}; {_RESTART}",
                errors=_cursor_field(f"expired at {when}"),
            )
        return tuple(values)


def _unbase64(token: str) -> bytes:
    if not isinstance(token, str) or not token.isascii():
        raise _invalid()
    try:
        blob = base64.b64decode(token + "=" * (-len(token) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _invalid() from exc
    # Base64 has several spellings of the last bits; accept only the one encode() writes.
    if base64.urlsafe_b64encode(blob).rstrip(b"=").decode("ascii") != token:
        raise _invalid()
    return blob


def _invalid() -> CursorError:
    return CursorError(
        f"cursor is not valid (altered, truncated or signed with another key); {_RESTART}",
        errors=_cursor_field("not a valid cursor"),
    )


def _cursor_field(message: str) -> tuple[FieldError, ...]:
    return (FieldError(field="cursor", message=message),)
