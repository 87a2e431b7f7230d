"""What a model field's type allows in a query: operators, sorting, and value conversion.

Pure core: imports msgspec, the standard library and ``loom.core`` only.
"""

from __future__ import annotations

import enum
import typing
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

import msgspec

from loom.core.errors._errors import NUL_MESSAGE
from loom.core.model import FieldInfo
from loom.core.query._spec import FilterOp

Kind = Literal["text", "orderable", "equality", "opaque"]
"""How a column type may be queried.

* ``text``: ``str`` columns; every operator.
* ``orderable``: numbers, dates, times, UUIDs, bytes; every operator but the text ones.
* ``equality``: ``bool``, enums and literals; equality, membership and ``is_null``.
* ``opaque``: JSON-like values (dict, list, structs, unions); only ``is_null``.
"""

_ORDERABLE: tuple[type, ...] = (int, float, Decimal, datetime, date, time, timedelta, UUID, bytes)

_TEXT_OPS = frozenset({FilterOp.LIKE, FilterOp.ILIKE, FilterOp.STARTSWITH, FilterOp.CONTAINS})
_ORDER_OPS = frozenset({FilterOp.GT, FilterOp.GTE, FilterOp.LT, FilterOp.LTE, FilterOp.BETWEEN})
_EQUALITY_OPS = frozenset(
    {FilterOp.EQ, FilterOp.NE, FilterOp.IN, FilterOp.NOT_IN, FilterOp.IS_NULL}
)

OPERATORS: dict[Kind, frozenset[FilterOp]] = {
    "text": _EQUALITY_OPS | _ORDER_OPS | _TEXT_OPS,
    "orderable": _EQUALITY_OPS | _ORDER_OPS,
    "equality": _EQUALITY_OPS,
    "opaque": frozenset({FilterOp.IS_NULL}),
}
"""The operators each kind of column accepts."""


def scalar_type(field: FieldInfo) -> Any:
    """The field's type without ``None`` and without ``Annotated`` constraints.

    Constraints are dropped on purpose: ``price_cents < 0`` is a fair question even when the
    column only holds values ``>= 0``.
    """
    tp = field.base_type
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    return tp


def kind_of(tp: Any) -> Kind:
    """Classify a scalar type (see :data:`Kind`)."""
    if tp is bool:
        return "equality"
    if typing.get_origin(tp) is Literal:
        return "equality"
    if isinstance(tp, type):
        if issubclass(tp, enum.Enum):
            return "equality"
        if issubclass(tp, str):
            return "text"
        if issubclass(tp, _ORDERABLE):
            return "orderable"
    return "opaque"


def type_name(tp: Any) -> str:
    """A short name of a type for error messages (``int``, ``datetime``, ``Literal['a']``)."""
    if isinstance(tp, type):
        return tp.__name__
    return repr(tp).replace("typing.", "")


INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


def check_int64(value: Any) -> Any:
    """``value`` unchanged, unless it is an int outside the 64-bit range every backend stores.

    Raises:
        msgspec.ValidationError: For an integer column value no database row can hold.
    """
    if type(value) is int and not INT64_MIN <= value <= INT64_MAX:
        raise msgspec.ValidationError(
            f"expected an integer between {INT64_MIN} and {INT64_MAX}, got {value}"
        )
    return value


def check_scalar(value: Any) -> Any:
    """``value`` unchanged, unless no backend can take it as a column value or a bind.

    Integers must fit in 64 bits (:func:`check_int64`); strings may not hold the NUL
    character, which PostgreSQL refuses in every text and JSON value.

    Raises:
        msgspec.ValidationError: Naming what is wrong with the value.
    """
    kind = type(value)
    if kind is int:
        return check_int64(value)
    if kind is str and "\x00" in value:
        raise msgspec.ValidationError(NUL_MESSAGE)
    return value


def convert(value: Any, tp: Any) -> Any:
    """Convert one value to a column's scalar type.

    Strings from query strings are accepted (``"5"`` -> ``5``, ISO 8601 -> ``datetime``, and a
    bare date for a datetime column -> midnight UTC).
    Datetimes come back aware and in UTC: naive ones are taken as UTC, which is how Loom stores
    them, so a comparison means the same instant on every backend. Integers beyond 64 bits and
    strings holding NUL are refused (:func:`check_scalar`).

    Raises:
        msgspec.ValidationError: When the value does not convert.
    """
    try:
        converted = msgspec.convert(value, tp, strict=False)
    except msgspec.ValidationError as exc:
        # A bare date for a datetime column ("created_at >= 2024-01-01") means its midnight UTC.
        if tp is not datetime or not isinstance(value, str) or len(value) != len("2024-01-01"):
            raise
        try:
            day = msgspec.convert(value, date, strict=False)
        except msgspec.ValidationError:
            raise exc from None
        return datetime(day.year, day.month, day.day, tzinfo=UTC)
    if type(converted) is int or type(converted) is str:
        return check_scalar(converted)
    if isinstance(converted, datetime):
        if converted.tzinfo is None:
            return converted.replace(tzinfo=UTC)
        return converted.astimezone(UTC)
    return converted
