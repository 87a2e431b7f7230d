"""Introspection of a model: its columns, key, relations and projections, computed once."""

from __future__ import annotations

import contextvars
import dataclasses
import difflib
import re
import types
import typing
from dataclasses import dataclass, field
from typing import Any

import msgspec

from loom.core.errors import ConfigError
from loom.core.model._columns import ColumnType
from loom.core.model._fields import ColumnSpec, ProjectionSpec, RelationSpec
from loom.core.model._table_args import Check, Index

current_actor: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "loom_current_actor", default=None
)
"""The actor (user id, service name) audit fields are filled from; set it per request."""

_TIMESTAMPS = ("created_at", "updated_at")
_AUDIT = ("created_by", "updated_by")


@dataclass(frozen=True, slots=True)
class FieldInfo:
    """One column of a model.

    Attributes:
        name: Field name (also the column name).
        type: The resolved annotation.
        base_type: The annotation without ``None`` / ``Optional``.
        nullable: Whether the column accepts NULL.
        spec: The column declaration (defaults when the field has no ``ColumnField``).
    """

    name: str
    type: Any
    base_type: Any
    nullable: bool
    spec: ColumnSpec


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """Everything adapters need to know about a model, computed once per model.

    Attributes:
        model: The model class.
        name: The model's class name.
        table_name: The table name (``__tablename__``).
        columns: Column fields by name, in declaration order.
        primary_key: Names of the primary-key fields.
        relations: Relation fields by name.
        projections: Projection fields by name.
        table_args: The model's ``__table_args__``: :class:`Index` and :class:`Check`
            declarations, checked against the columns.
    """

    model: type[Any]
    name: str
    table_name: str
    columns: dict[str, FieldInfo]
    primary_key: tuple[str, ...]
    relations: dict[str, RelationSpec] = field(default_factory=dict)
    projections: dict[str, ProjectionSpec[Any]] = field(default_factory=dict)
    table_args: tuple[Any, ...] = ()

    @property
    def entity(self) -> str:
        """The entity name used in events and cache tags (the table name)."""
        return self.table_name

    @property
    def pk(self) -> str:
        """The single primary-key field name.

        Raises:
            ConfigError: When the model has a composite key.
        """
        if len(self.primary_key) != 1:
            raise ConfigError(
                f"{self.name} has a composite primary key {self.primary_key}; "
                "this operation needs a single-column key"
            )
        return self.primary_key[0]

    @property
    def has_timestamps(self) -> bool:
        """Whether Loom fills ``created_at`` / ``updated_at``."""
        return all(name in self.columns for name in _TIMESTAMPS)

    @property
    def has_audit(self) -> bool:
        """Whether Loom fills ``created_by`` / ``updated_by``."""
        return all(name in self.columns for name in _AUDIT)

    def column_names(self) -> tuple[str, ...]:
        """Column names in declaration order."""
        return tuple(self.columns)

    def writable(self) -> tuple[str, ...]:
        """Fields a client may set: not the primary key, not read-only, not managed."""
        return tuple(
            name
            for name, info in self.columns.items()
            if not info.spec.primary_key and not info.spec.read_only
        )


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _unwrap(tp: Any) -> Any:
    """``str`` for ``Annotated[str, ...]`` (constraints and declarations live in the metadata)."""
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    return tp


def _annotated_spec(tp: Any, struct_field: msgspec.structs.FieldInfo) -> ColumnSpec:
    """The column of a field without ``ColumnField``: ``Annotated[...]`` metadata (loom-kernel's
    style), and the field's plain default (``stock: int = 0``)."""
    if struct_field.default_factory is not msgspec.NODEFAULT:
        plain = ColumnSpec(default_factory=struct_field.default_factory)
    elif struct_field.default not in (msgspec.NODEFAULT, msgspec.UNSET):
        plain = ColumnSpec(default=struct_field.default)
    else:
        plain = ColumnSpec()
    if typing.get_origin(tp) is not typing.Annotated:
        return plain
    metadata = tp.__metadata__
    column_type = next((m for m in metadata if isinstance(m, ColumnType)), None)
    options = next((m for m in metadata if hasattr(m, "spec") and callable(m.spec)), None)
    if options is not None:
        spec: ColumnSpec = options.spec(column_type)
        return spec
    return dataclasses.replace(plain, column_type=column_type)


def _strip_optional(tp: Any) -> tuple[Any, bool]:
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        nullable = len(args) != len(typing.get_args(tp))
        if len(args) == 1:
            return args[0], nullable
        return typing.Union[tuple(args)], nullable  # noqa: UP007 - built at run time
    return tp, False


def model_info(model: type[Any]) -> ModelInfo:
    """Return the :class:`ModelInfo` of a model, computing it on first use.

    Args:
        model: A subclass of :class:`loom.core.model.BaseModel`.

    Returns:
        The model's introspection record.

    Raises:
        ConfigError: When the class is not a model or declares an impossible key.
    """
    cached = model.__dict__.get("__loom_info__")
    if isinstance(cached, ModelInfo):
        return cached
    specs = getattr(model, "__loom_fields__", None)
    if specs is None or not issubclass(model, msgspec.Struct):
        raise ConfigError(
            f"{getattr(model, '__name__', model)!r} is not a Loom model; "
            "declare it as a subclass of loom.core.model.BaseModel"
        )
    try:
        struct_fields = msgspec.structs.fields(model)
    except Exception as exc:
        raise ConfigError(f"model {model.__name__}: cannot resolve field types: {exc}") from exc
    columns: dict[str, FieldInfo] = {}
    relations: dict[str, RelationSpec] = {}
    projections: dict[str, ProjectionSpec[Any]] = {}
    for f in struct_fields:
        spec = specs.get(f.name)
        if isinstance(spec, RelationSpec):
            relations[f.name] = spec
            continue
        if isinstance(spec, ProjectionSpec):
            projections[f.name] = spec
            continue
        column = spec if isinstance(spec, ColumnSpec) else _annotated_spec(f.type, f)
        base, optional = _strip_optional(_unwrap(f.type))
        nullable = column.nullable if column.nullable is not None else optional
        columns[f.name] = FieldInfo(
            name=f.name, type=f.type, base_type=base, nullable=nullable, spec=column
        )
    # Key first, managed timestamps and audit fields last, declaration order otherwise.
    managed = (*_TIMESTAMPS, *_AUDIT)
    columns = dict(
        sorted(
            columns.items(),
            key=lambda item: 0 if item[1].spec.primary_key else (2 if item[0] in managed else 1),
        )
    )
    primary_key = tuple(name for name, info in columns.items() if info.spec.primary_key)
    if not primary_key:
        if "id" in columns:
            primary_key = ("id",)
        else:
            raise ConfigError(
                f"model {model.__name__} has no primary key; declare one, for example "
                "`id: int = ColumnField(primary_key=True, autoincrement=True)`"
            )
    table_name = model.__dict__.get("__tablename__") or _snake(model.__name__)
    info = ModelInfo(
        model=model,
        name=model.__name__,
        table_name=table_name,
        columns=columns,
        primary_key=primary_key,
        relations=relations,
        projections=projections,
        table_args=_table_args(model, columns),
    )
    type.__setattr__(model, "__loom_info__", info)
    return info


def _table_args(model: type[Any], columns: dict[str, FieldInfo]) -> tuple[Any, ...]:
    """``model.__table_args__`` as a tuple, its indexes naming only columns of the model."""
    declared = getattr(model, "__table_args__", ())
    if not isinstance(declared, tuple | list):
        raise ConfigError(
            f"model {model.__name__}: __table_args__ must be a tuple of Index(...) and "
            f"Check(...) declarations, got {declared!r}"
        )
    names: set[str] = set()
    for arg in declared:
        if isinstance(arg, Index):
            if not arg.fields:
                raise ConfigError(
                    f"model {model.__name__}: an Index in __table_args__ names no field; "
                    "write Index('field', ...)"
                )
            for name in arg.fields:
                if name not in columns:
                    close = difflib.get_close_matches(name, columns, n=1)
                    hint = f"; did you mean '{close[0]}'?" if close else ""
                    raise ConfigError(
                        f"model {model.__name__}: Index{arg.fields!r} names the field "
                        f"'{name}', which is not a column of the model (columns: "
                        f"{', '.join(columns)}){hint}"
                    )
        elif isinstance(arg, Check):
            if arg.name in names or (arg.name in columns and columns[arg.name].spec.check):
                raise ConfigError(
                    f"model {model.__name__}: two CHECK constraints are named '{arg.name}'; "
                    "give each Check(...) its own name"
                )
            names.add(arg.name)
        else:
            raise ConfigError(
                f"model {model.__name__}: __table_args__ holds {arg!r}; it takes Index(...) and "
                "Check(...) from loom.core.model (a model compiles into every application's "
                "metadata, so a SQLAlchemy object bound to one table cannot be shared)"
            )
    return tuple(declared)
