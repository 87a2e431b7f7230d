"""Compiles Struct models into SQLAlchemy tables and mapped classes, once per declarative base.

The registry of compiled models belongs to the declarative base (``base.metadata.info``), so two
applications with two bases never share tables.
"""

from __future__ import annotations

import typing
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase

from loom.core.errors import ConfigError
from loom.core.model import Check, Index, ModelInfo, model_info
from loom.core.repository.sqlalchemy._constraints import table_constraints
from loom.core.repository.sqlalchemy._declarative import NAMING_CONVENTION, Base
from loom.core.repository.sqlalchemy._types import SUPPORTED, column_type

_REGISTRY_KEY = "loom_registry"


@dataclass(frozen=True, slots=True)
class CompiledModel:
    """A model's table, mapped class and introspection record.

    Attributes:
        model: The Struct model.
        info: Its :class:`~loom.core.model.ModelInfo`.
        table: The compiled table.
        mapped: A declarative class mapped to the table (for Alembic and ORM users).
        pk: The single primary-key column (composite keys: the first).
    """

    model: type[Any]
    info: ModelInfo
    table: sa.Table
    mapped: type[Any]

    @property
    def pk(self) -> sa.Column[Any]:
        """The first primary-key column."""
        return self.table.c[self.info.primary_key[0]]


@dataclass
class ModelRegistry:
    """The compiled models of one declarative base."""

    base: type[Any]
    models: dict[type[Any], CompiledModel] = field(default_factory=dict)

    @property
    def metadata(self) -> sa.MetaData:
        """The metadata holding the compiled tables."""
        return self.base.metadata  # type: ignore[no-any-return]

    def compile(self, model: type[Any]) -> CompiledModel:
        """Compile ``model`` (once) and return its record."""
        compiled = self.models.get(model)
        if compiled is None:
            compiled = _compile(model, self.base)
            self.models[model] = compiled
        return compiled

    def compile_all(self, models: Iterable[type[Any]]) -> list[CompiledModel]:
        """Compile several models and check their foreign keys resolve."""
        compiled = [self.compile(m) for m in models]
        self.check_foreign_keys()
        return compiled

    def check_foreign_keys(self) -> None:
        """Fail with a :class:`ConfigError` naming any foreign key to an unknown table/column."""
        tables = self.metadata.tables
        for compiled in self.models.values():
            for name, info in compiled.info.columns.items():
                target = info.spec.foreign_key
                if target is None:
                    continue
                table_name, _, column = target.rpartition(".")
                table = tables.get(table_name)
                if table is None or column not in table.c:
                    known = ", ".join(sorted(tables)) or "none"
                    raise ConfigError(
                        f"model {compiled.info.name}, field '{name}': foreign key {target!r} "
                        f"names an unknown {'table' if table is None else 'column'}; "
                        f"compiled tables: {known}. Declare and compile the referenced model "
                        "too, or fix the 'table.column' spelling."
                    )


def new_base(name: str = "AppBase") -> type[DeclarativeBase]:
    """A fresh declarative base with its own metadata and model registry.

    Use one per application (or per test) so that two applications in one process never share
    tables or mapped classes. Its metadata names constraints and indexes by
    :data:`NAMING_CONVENTION`.
    """
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    return type(name, (DeclarativeBase,), {"__module__": __name__, "metadata": metadata})


def registry_for(base: type[Any] | None = None) -> ModelRegistry:
    """The model registry of a declarative base (``Base`` when omitted)."""
    base = base or Base
    info = base.metadata.info
    registry = info.get(_REGISTRY_KEY)
    if registry is None or registry.base is not base:
        registry = ModelRegistry(base)
        info[_REGISTRY_KEY] = registry
    return typing.cast(ModelRegistry, registry)


def compile_model(model: type[Any], base: type[Any] | None = None) -> CompiledModel:
    """Compile a Struct model into a table of ``base`` (``Base`` when omitted)."""
    return registry_for(base).compile(model)


def _compile(model: type[Any], base: type[Any]) -> CompiledModel:
    info = model_info(model)
    declared_keys = [n for n, f in info.columns.items() if f.spec.primary_key]
    composite = getattr(model, "__primary_key__", None)
    if len(declared_keys) > 1 and tuple(composite or ()) != tuple(declared_keys):
        raise ConfigError(
            f"model {info.name} marks {len(declared_keys)} fields as primary key "
            f"({', '.join(declared_keys)}); if a composite key is meant, say so with "
            f"__primary_key__ = {tuple(declared_keys)!r}, otherwise keep primary_key=True on one"
        )
    metadata: sa.MetaData = base.metadata
    if info.table_name in metadata.tables:
        raise ConfigError(
            f"model {info.name}: table {info.table_name!r} is already compiled in this "
            "metadata (two models with one __tablename__?); rename one of them"
        )
    columns = [_column(info, name) for name in info.columns]
    checks = [
        sa.CheckConstraint(field.spec.check, name=name)
        for name, field in info.columns.items()
        if field.spec.check
    ]
    table = sa.Table(
        info.table_name,
        metadata,
        *columns,
        *checks,
        *(_table_arg(arg) for arg in info.table_args),
        *table_constraints(model, info),
    )
    mapped = type(
        f"{info.name}Record",
        (base,),
        {
            "__table__": table,
            "__loom_model__": model,
            "__module__": model.__module__,
            "__qualname__": f"{model.__qualname__}Record",
        },
    )
    return CompiledModel(model=model, info=info, table=table, mapped=mapped)


def _column(info: ModelInfo, name: str) -> sa.Column[Any]:
    field_info = info.columns[name]
    spec = field_info.spec
    sa_type = column_type(field_info)
    if sa_type is None:
        raise ConfigError(
            f"model {info.name}, field '{name}': type {field_info.type!r} has no column type; "
            f"supported: {SUPPORTED}"
        )
    args: list[Any] = []
    if spec.foreign_key:
        args.append(
            sa.ForeignKey(
                spec.foreign_key, ondelete=spec.on_delete.value if spec.on_delete else None
            )
        )
    kwargs: dict[str, Any] = {
        "primary_key": spec.primary_key,
        "nullable": False if spec.primary_key else field_info.nullable,
        "unique": spec.unique or None,
        "index": spec.index or None,
    }
    if spec.primary_key:
        kwargs["autoincrement"] = spec.autoincrement if spec.autoincrement is not None else "auto"
    if spec.server_default is not None:
        kwargs["server_default"] = sa.text(spec.server_default)
    return sa.Column(name, sa_type, *args, **kwargs)


def _table_arg(arg: Index | Check) -> sa.Index | sa.CheckConstraint:
    """A model's table-level declaration as a SQLAlchemy schema item."""
    if isinstance(arg, Index):
        partial: dict[str, Any] = {}
        if arg.where:
            condition = sa.text(arg.where)
            partial = {"postgresql_where": condition, "sqlite_where": condition}
        return sa.Index(arg.name, *arg.fields, unique=arg.unique, **partial)
    return sa.CheckConstraint(arg.expression, name=arg.name)
