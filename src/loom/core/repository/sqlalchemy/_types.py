"""Mapping of model field types to SQLAlchemy column types, equal on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import types
import typing
import uuid
from collections.abc import Callable
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect

from loom.core.errors import ConfigError
from loom.core.model import ColumnType, FieldInfo


class UTCDateTime(sa.TypeDecorator[dt.datetime]):
    """A timezone-aware datetime stored in UTC.

    SQLite keeps no offset, so values are normalized to UTC before they are stored and read
    back as aware UTC datetimes; naive values are taken to be UTC already.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        if dialect.name == "sqlite":
            return value.astimezone(dt.UTC).replace(tzinfo=None)
        return value

    def result_processor(self, dialect: Dialect, coltype: Any) -> Any:
        # asyncpg already returns aware datetimes for TIMESTAMP WITH TIME ZONE: skip the
        # per-row conversion there (it is measurable on large pages).
        if dialect.name == "postgresql":
            return None
        return super().result_processor(dialect, coltype)

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        if value.tzinfo is None:
            return typing.cast(dt.datetime, value.replace(tzinfo=dt.UTC))
        return typing.cast(dt.datetime, value.astimezone(dt.UTC))


class PortableDecimal(sa.TypeDecorator[decimal.Decimal]):
    """Exact ``NUMERIC`` on PostgreSQL; on SQLite a REAL-affinity column read back as Decimal.

    SQLite has no decimal type: values keep about 15 significant digits there.
    """

    impl = sa.Numeric
    cache_ok = True

    def __init__(self, precision: int | None = None, scale: int | None = None) -> None:
        super().__init__(precision=precision, scale=scale, asdecimal=True)

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.Numeric(asdecimal=False))
        numeric = typing.cast(sa.Numeric[Any], self.impl_instance)
        return dialect.type_descriptor(
            sa.Numeric(precision=numeric.precision, scale=numeric.scale, asdecimal=True)
        )

    def process_bind_param(self, value: decimal.Decimal | None, dialect: Dialect) -> Any:
        if value is None or dialect.name != "sqlite":
            return value
        return float(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> decimal.Decimal | None:
        if value is None or isinstance(value, decimal.Decimal):
            return value
        return decimal.Decimal(str(value))


def _json_type() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _integer_type() -> sa.types.TypeEngine[int]:
    # SQLite only aliases the rowid (and so autoincrements) for exactly "INTEGER PRIMARY KEY".
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


SUPPORTED = (
    "int, str, bool, float, Decimal, datetime, date, time, timedelta, UUID, bytes, "
    "Enum subclasses, Literal of str, dict, list and Struct (stored as JSON)"
)


def column_type(info: FieldInfo) -> sa.types.TypeEngine[Any] | None:
    """The column type for a field, or ``None`` when its type is not supported."""
    if info.spec.column_type is not None:
        return declared_type(info.spec.column_type, info)
    tp = info.base_type
    origin = typing.get_origin(tp)
    if origin is typing.Literal:
        values = typing.get_args(tp)
        if all(isinstance(v, str) for v in values):
            return sa.String(info.spec.length or max(len(v) for v in values))
        if all(isinstance(v, int) for v in values):
            return _integer_type()
        return None
    if origin in (list, dict, tuple, set, frozenset) or tp in (list, dict):
        return _json_type()
    if origin is typing.Union or origin is types.UnionType:
        return None
    if not isinstance(tp, type):
        return None
    if issubclass(tp, enum.Enum):
        return sa.Enum(
            tp,
            native_enum=False,
            create_constraint=False,
            length=info.spec.length or max(len(str(m.value)) for m in tp),
            values_callable=lambda members: [str(m.value) for m in members],
            validate_strings=True,
        )
    if tp is bool:
        return sa.Boolean()
    if tp is int:
        return _integer_type()
    if tp is str:
        return sa.String(info.spec.length) if info.spec.length else sa.Text()
    if tp is float:
        return sa.Double()
    if tp is decimal.Decimal:
        return PortableDecimal()
    if tp is dt.datetime:
        return UTCDateTime()
    if tp is dt.date:
        return sa.Date()
    if tp is dt.time:
        return sa.Time()
    if tp is dt.timedelta:
        return sa.Interval()
    if tp is uuid.UUID:
        return sa.Uuid()
    if tp is bytes:
        return sa.LargeBinary()
    if issubclass(tp, msgspec.Struct):
        return _json_type()
    return None


def declared_type(declared: ColumnType, info: FieldInfo) -> sa.types.TypeEngine[Any]:
    """The column type a ``ColumnField(String(120))``-style declaration names.

    Raises:
        ConfigError: A type Loom does not compile the same on SQLite and PostgreSQL.
    """
    name, args, kwargs = declared.type_name, declared.args, declared.kwargs
    simple: dict[str, Callable[[], sa.types.TypeEngine[Any]]] = {
        "Integer": sa.Integer,
        "BigInteger": _integer_type,
        "Float": sa.Double,
        "Boolean": sa.Boolean,
        "Text": sa.Text,
        "JSON": _json_type,
        "Bytes": sa.LargeBinary,
        "Date": sa.Date,
        "Time": sa.Time,
        "Uuid": sa.Uuid,
    }
    if name in simple:
        return simple[name]()
    if name == "String":
        length = args[0] if args else info.spec.length
        return sa.String(length) if length else sa.Text()
    if name == "DateTime":
        return UTCDateTime() if kwargs.get("timezone", True) else sa.DateTime()
    if name == "Numeric":
        return PortableDecimal(precision=kwargs.get("precision"), scale=kwargs.get("scale"))
    raise ConfigError(
        f"field {info.name!r}: column type {name!r} is not supported; Loom compiles one schema "
        "for SQLite and PostgreSQL: use String, Text, Integer, BigInteger, Float, Boolean, "
        "Numeric, DateTime, Date, Time, Uuid, JSON or Bytes"
    )
