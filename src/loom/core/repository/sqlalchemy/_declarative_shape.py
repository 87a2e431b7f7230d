"""The result shape of a ``@query`` method, read from its return annotation.

Also the column types that read results and bind parameters of plain Python types.
"""

from __future__ import annotations

import collections.abc
import decimal
import re
import types
import typing
from dataclasses import dataclass
from typing import Any, Literal

import msgspec
import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from loom.core.errors import ConfigError
from loom.core.model import FieldInfo
from loom.core.model._fields import ColumnSpec
from loom.core.query import PageResult
from loom.core.repository.sqlalchemy._types import SUPPORTED, column_type

COLLECTIONS = (
    list,
    tuple,
    set,
    frozenset,
    collections.abc.Sequence,
    collections.abc.Set,
    collections.abc.Collection,
    collections.abc.Iterable,
)

_PAGING_CLAUSE = re.compile(r"\b(?:LIMIT|OFFSET|FETCH)\b", re.IGNORECASE)


class _Integral(sa.TypeDecorator[int]):
    """An integer result: PostgreSQL's ``sum(bigint)`` is NUMERIC, read back as an int."""

    impl = sa.BigInteger
    cache_ok = True

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if isinstance(value, decimal.Decimal | float) and value == int(value):
            return int(value)
        return value


@dataclass(frozen=True, slots=True)
class ResultShape:
    """The result a ``@query`` method declares.

    Attributes:
        kind: ``"one"`` (``X`` / ``X | None``), ``"many"`` (``list[X]``) or ``"page"``
            (``PageResult[X]``).
        item: The item annotation as declared (``int | None`` inside a list stays so).
        base: The item type without ``None``.
        is_struct: Whether items are Structs (rows by column name) rather than scalars.
        optional: For ``"one"``: ``None`` when no row matches (else it is an error).
    """

    kind: Literal["one", "many", "page"]
    item: Any
    base: Any
    is_struct: bool
    optional: bool


def strip_none(tp: Any) -> tuple[Any, bool]:
    """``(X, True)`` for ``X | None``; ``(tp, False)`` for anything else."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) != len(typing.get_args(tp)):
            return (args[0] if len(args) == 1 else typing.Union[tuple(args)]), True  # noqa: UP007
    return tp, False


def _field_info(name: str, tp: Any) -> FieldInfo:
    base, nullable = strip_none(tp)
    return FieldInfo(name=name, type=tp, base_type=base, nullable=nullable, spec=ColumnSpec())


def result_type(tp: Any) -> sa.types.TypeEngine[Any] | None:
    """The column type that reads and binds values of Python type ``tp``; ``None`` if none."""
    base, _ = strip_none(tp)
    if base is int:
        return _Integral()
    return column_type(_field_info("value", tp))


def parse_shape(
    name: str, annotation: Any, *, unique: bool, paged: bool, from_expr: bool
) -> ResultShape:
    """Read the result shape from a method's return annotation and check it fits the flags.

    Raises:
        ConfigError: When the annotation and ``unique``/``paged`` disagree, or the item type is
            neither a Struct nor a supported scalar.
    """
    origin = typing.get_origin(annotation)
    shown = getattr(annotation, "__name__", None) or repr(annotation)
    if origin is PageResult:
        kind: Literal["one", "many", "page"] = "page"
        item, optional = typing.get_args(annotation)[0], False
    elif origin in (list, collections.abc.Sequence):
        kind = "many"
        item, optional = typing.get_args(annotation)[0], False
    else:
        kind = "one"
        item, optional = strip_none(annotation)
    if paged != (kind == "page"):
        fix = "declare `-> PageResult[...]`" if paged else "add paged=True"
        raise ConfigError(f"@query on {name}: paged={paged} but the return type is {shown}; {fix}")
    if kind == "one" and not unique:
        raise ConfigError(
            f"@query on {name}: the return type {shown} is a single value; add unique=True, "
            "or return list[...] for every row"
        )
    if kind == "many" and unique:
        raise ConfigError(
            f"@query on {name}: unique=True returns one item but the return type is {shown}; "
            "declare `-> Item | None` or drop unique=True"
        )
    base, _ = strip_none(item)
    is_struct = isinstance(base, type) and issubclass(base, msgspec.Struct)
    if not is_struct and result_type(item) is None:
        raise ConfigError(
            f"@query on {name}: cannot build results of type {item!r}; return the model, a "
            f"msgspec Struct with fields named like the result columns, or a scalar ({SUPPORTED})"
        )
    if from_expr and not is_struct:
        raise ConfigError(
            f"@query on {name}: expr= selects the model's rows, so it cannot return the scalar "
            f"{item!r}; write the whole statement with sql= to select one value"
        )
    return ResultShape(kind=kind, item=item, base=base, is_struct=is_struct, optional=optional)


def check_paged_sql(name: str, sql: str) -> None:
    """A paged ``sql=`` must leave LIMIT/OFFSET to Loom."""
    if _PAGING_CLAUSE.search(sql):
        raise ConfigError(
            f"@query on {name}: paged=True adds LIMIT and OFFSET itself, but the statement "
            "already has LIMIT/OFFSET/FETCH; remove it, or drop paged=True and page by hand"
        )
