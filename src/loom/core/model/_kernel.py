"""loom-kernel's model vocabulary over Loom's models: base structs, column metadata, lookups.

``get_table_name``, ``get_column_fields`` and the other lookups answer from
:func:`loom.core.model.model_info`; ``declared_unique`` and its siblings read the table-level
declarations a model makes with ``__unique__``, ``__indexes__``, ``__checks__`` and
``__partial_unique__``. Imports only msgspec, the standard library and ``loom.core``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

from loom.core.errors import ConfigError
from loom.core.model._columns import ColumnType, ServerDefault, ServerOnUpdate
from loom.core.model._fields import MISSING, ColumnField, ColumnSpec, OnDelete, ProjectionSpec
from loom.core.model._fields import RelationSpec as Relation
from loom.core.model._info import model_info


class _MessageType:
    @classmethod
    def loom_message_type(cls) -> str:
        """The stable name of this type in messages (``__loom_message_type__`` overrides it)."""
        override = getattr(cls, "__loom_message_type__", None)
        if override is not None:
            return str(override)
        return f"{cls.__module__}.{cls.__qualname__}"


class LoomStruct(msgspec.Struct, _MessageType):
    """A plain msgspec Struct for application data types (loom-kernel's neutral base)."""


class LoomFrozenStruct(msgspec.Struct, _MessageType, frozen=True):
    """An immutable msgspec Struct for value types (loom-kernel's frozen base)."""


@dataclass(frozen=True, slots=True)
class Field:
    """Column options written inside ``Annotated[...]`` (loom-kernel's annotation style).

    ``name: Annotated[str, String(50), Field(unique=True)]`` declares what
    ``name: str = ColumnField(String(50), unique=True)`` does.
    """

    primary_key: bool = False
    unique: bool = False
    index: bool = False
    nullable: bool | None = None
    autoincrement: bool = False
    server_default: ServerDefault | str | None = None
    server_onupdate: ServerOnUpdate | str | None = None
    foreign_key: str | None = None
    on_delete: OnDelete | None = None
    default: Any = msgspec.UNSET
    length: int | None = None

    def spec(self, column_type: ColumnType | None = None) -> ColumnSpec:
        """The :class:`ColumnSpec` these options declare."""
        spec: ColumnSpec = ColumnField(
            column_type,
            primary_key=self.primary_key,
            unique=self.unique,
            index=self.index,
            nullable=self.nullable,
            autoincrement=self.autoincrement or None,
            server_default=self.server_default,
            server_onupdate=self.server_onupdate,
            foreign_key=self.foreign_key,
            on_delete=self.on_delete,
            default=self.default,
            length=self.length,
        )
        return spec


@dataclass(frozen=True, slots=True)
class ColumnFieldInfo:
    """One column of a model, as loom-kernel's ``get_column_fields`` describes it.

    Attributes:
        name: The field (and column) name.
        python_type: The annotation without ``None``.
        column_type: The declared column type, or ``None`` when derived from the annotation.
        field: The column declaration.
    """

    name: str
    python_type: Any
    column_type: ColumnType | None
    field: ColumnSpec


@dataclass(frozen=True, slots=True)
class PartialUnique:
    """A unique index over ``columns`` restricted to the rows matching ``where`` (SQL)."""

    rule: str
    columns: tuple[str, ...]
    where: str


def get_table_name(cls: type[Any]) -> str:
    """The model's table name."""
    return model_info(cls).table_name


def get_id_attributes(cls: type[Any]) -> tuple[str, ...]:
    """The primary key's field names."""
    return model_info(cls).primary_key


def get_id_attribute(cls: type[Any]) -> str:
    """The field name of a single-column primary key.

    Raises:
        ConfigError: The key has several columns.
    """
    return model_info(cls).pk


def get_column_fields(cls: type[Any]) -> dict[str, ColumnFieldInfo]:
    """The model's columns, by name."""
    return {
        name: ColumnFieldInfo(name, info.base_type, info.spec.column_type, info.spec)
        for name, info in model_info(cls).columns.items()
    }


def get_relations(cls: type[Any]) -> dict[str, Relation]:
    """The model's relations, by field name."""
    return dict(model_info(cls).relations)


def get_projections(cls: type[Any]) -> dict[str, ProjectionSpec[Any]]:
    """The model's projections, by field name."""
    return dict(model_info(cls).projections)


def declared_unique(cls: type[Any]) -> tuple[tuple[str, ...], ...]:
    """Composite unique constraints declared with ``__unique__ = (("a", "b"), ...)``."""
    return _column_tuples(cls, "__unique__")


def declared_indexes(cls: type[Any]) -> tuple[tuple[str, ...], ...]:
    """Indexes declared with ``__indexes__ = (("a", "b"), ...)``."""
    return _column_tuples(cls, "__indexes__")


def declared_checks(cls: type[Any]) -> Mapping[str, str]:
    """CHECK constraints declared with ``__checks__ = {"rule": "sql expression"}``.

    Raises:
        ConfigError: A rule name that is not an identifier, or an empty expression.
    """
    checks: dict[str, str] = {}
    for rule, expression in _mapping(cls, "__checks__").items():
        _rule_name(cls, "__checks__", rule)
        if not isinstance(expression, str) or not expression.strip():
            raise ConfigError(
                f"model {cls.__name__}: __checks__[{rule!r}] needs a SQL expression, such as "
                "'price_cents >= 0'"
            )
        checks[rule] = expression
    return checks


def declared_partial_unique(cls: type[Any]) -> tuple[PartialUnique, ...]:
    """Partial unique indexes declared with ``__partial_unique__ = {"rule": (cols, where)}``.

    Raises:
        ConfigError: An entry that is not ``(columns, where)``, or an unknown column.
    """
    known = model_info(cls).columns
    found: list[PartialUnique] = []
    for rule, entry in _mapping(cls, "__partial_unique__").items():
        _rule_name(cls, "__partial_unique__", rule)
        where = f"model {cls.__name__}: __partial_unique__[{rule!r}]"
        if not (isinstance(entry, tuple) and len(entry) == 2):
            raise ConfigError(
                f"{where} must be a pair (columns, where), such as (('sku',), 'deleted_at IS NULL')"
            )
        columns, predicate = entry
        if not isinstance(columns, tuple) or not columns:
            raise ConfigError(f"{where}: give a non-empty tuple of columns")
        if not isinstance(predicate, str) or not predicate.strip():
            raise ConfigError(f"{where}: give the SQL predicate of the rows it covers")
        _known_columns(cls, "__partial_unique__", columns, known)
        found.append(PartialUnique(rule=rule, columns=columns, where=predicate))
    return tuple(found)


_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _rule_name(cls: type[Any], attr: str, rule: object) -> None:
    if not isinstance(rule, str) or not _IDENTIFIER.match(rule):
        raise ConfigError(
            f"model {cls.__name__}: {attr} rule {rule!r} must be an identifier (it names the "
            "constraint)"
        )


def _mapping(cls: type[Any], attr: str) -> Mapping[Any, Any]:
    value = getattr(cls, attr, None)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(f"model {cls.__name__}: {attr} must be a mapping, got {value!r}")
    return value


def _column_tuples(cls: type[Any], attr: str) -> tuple[tuple[str, ...], ...]:
    value = getattr(cls, attr, None)
    if value is None:
        return ()
    known = model_info(cls).columns
    result: list[tuple[str, ...]] = []
    for entry in value:
        columns = (entry,) if isinstance(entry, str) else tuple(entry)
        if not columns:
            raise ConfigError(f"model {cls.__name__}: {attr} has an empty entry")
        _known_columns(cls, attr, columns, known)
        result.append(columns)
    return tuple(result)


def _known_columns(
    cls: type[Any], attr: str, columns: tuple[Any, ...], known: Mapping[str, Any]
) -> None:
    for column in columns:
        if column not in known:
            raise ConfigError(
                f"model {cls.__name__}: {attr} names {column!r}, which is not a column; "
                f"columns: {', '.join(known)}"
            )


__all__ = [
    "MISSING",
    "ColumnFieldInfo",
    "Field",
    "LoomFrozenStruct",
    "LoomStruct",
    "PartialUnique",
    "Relation",
    "declared_checks",
    "declared_indexes",
    "declared_partial_unique",
    "declared_unique",
    "get_column_fields",
    "get_id_attribute",
    "get_id_attributes",
    "get_projections",
    "get_relations",
    "get_table_name",
]
