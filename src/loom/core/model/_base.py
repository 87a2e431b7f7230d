"""Model base classes: msgspec Structs with a metaclass that reads field declarations."""

from __future__ import annotations

import dataclasses
import re
import typing
from datetime import datetime
from typing import Any, ClassVar, dataclass_transform

import msgspec

from loom.core.errors import ConfigError
from loom.core.model._fields import ColumnField, ColumnSpec, ProjectionSpec, RelationSpec

FieldSpec = ColumnSpec | RelationSpec | ProjectionSpec[Any]


@dataclass_transform(kw_only_default=True, field_specifiers=(msgspec.field,))
class ModelMeta(msgspec.StructMeta):
    """Metaclass of every model.

    Replaces ``ColumnField`` / ``RelationField`` / ``Projection`` defaults with plain msgspec
    defaults and records the declarations in ``__loom_fields__``. Models are keyword-only, so
    fields with and without defaults may come in any order.
    """

    def __new__(
        mcls,
        name: str,
        bases: tuple[type, ...],
        namespace: dict[str, Any],
        **kwargs: Any,
    ) -> ModelMeta:
        kwargs.setdefault("kw_only", True)
        specs: dict[str, FieldSpec] = {}
        for base in reversed(bases):
            specs.update(getattr(base, "__loom_fields__", {}))
        namespace = dict(namespace)
        annotations: dict[str, Any] = namespace.get("__annotations__", {})
        for attr, value in list(namespace.items()):
            if isinstance(value, ColumnSpec):
                specs[attr] = value
                if value.default_factory is not None:
                    namespace[attr] = msgspec.field(default_factory=value.default_factory)
                elif value.has_default:
                    namespace[attr] = _struct_default(value.default)
                elif value.generated:
                    namespace[attr] = msgspec.UNSET
                elif value.nullable or (
                    value.nullable is None and _admits_none(annotations.get(attr))
                ):
                    namespace[attr] = None
                else:
                    del namespace[attr]
            elif isinstance(value, RelationSpec):
                if not value.target:
                    value = dataclasses.replace(
                        value, target=relation_target(name, attr, annotations.get(attr))
                    )
                specs[attr] = value
                namespace[attr] = msgspec.UNSET
            elif isinstance(value, ProjectionSpec):
                specs[attr] = dataclasses.replace(value, name=attr)
                namespace[attr] = msgspec.UNSET
        namespace["__loom_fields__"] = specs
        namespace["__loom_info__"] = None
        return super().__new__(mcls, name, bases, namespace, **kwargs)


_SKIPPED = frozenset(
    {"list", "List", "Optional", "None", "UnsetType", "msgspec", "typing", "Union"}
)


def relation_target(model: str, attr: str, annotation: Any) -> type[Any] | str:
    """The model a relation's annotation names (``list[Address] | UnsetType`` -> Address).

    Raises:
        ConfigError: The annotation names no model.
    """
    if isinstance(annotation, str):
        names = [n for n in re.findall(r"[A-Za-z_][\w.]*", annotation) if n not in _SKIPPED]
        if names:
            return str(names[0].rsplit(".", 1)[-1])
    elif annotation is not None:
        for candidate in (annotation, *_flatten(annotation)):
            if isinstance(candidate, ModelMeta):
                return typing.cast(type[Any], candidate)
    raise ConfigError(
        f"model {model}, field {attr!r}: RelationField without a target needs an annotation "
        "naming the related model (`list[Address]` or `User | None`); or pass the target"
    )


def _flatten(annotation: Any) -> list[Any]:
    found: list[Any] = []
    for arg in typing.get_args(annotation):
        found.append(arg)
        found.extend(_flatten(arg))
    return found


def _admits_none(annotation: Any) -> bool:
    """Whether a field annotation (possibly a string) admits ``None``."""
    if annotation is None:
        return False
    if isinstance(annotation, str):
        return bool(re.search(r"\bNone\b|\bOptional\[", annotation))
    return type(None) in typing.get_args(annotation)


def _struct_default(value: Any) -> Any:
    if isinstance(value, list | dict | set):
        return msgspec.field(default_factory=lambda: type(value)(value))
    return value


# Repeated on the class: type checkers read msgspec.Struct's own transform before the
# metaclass's, and models are keyword-only (required fields may follow defaulted ones).
@dataclass_transform(kw_only_default=True, field_specifiers=(msgspec.field,))
class BaseModel(msgspec.Struct, metaclass=ModelMeta):
    """Base of every model. Declares no columns: give the model its own ``id``.

    Set ``__tablename__`` to name the table (defaults to the class name in snake case), and
    ``__table_args__`` to a tuple of :class:`~loom.core.model.Index` and
    :class:`~loom.core.model.Check` declarations for indexes over several fields, partial
    indexes and row CHECK constraints.
    """

    __tablename__: ClassVar[str]
    __table_args__: ClassVar[tuple[Any, ...]]
    __loom_fields__: ClassVar[dict[str, FieldSpec]]
    __loom_info__: ClassVar[Any]


class TimestampedModel(BaseModel):
    """A model with ``created_at`` and ``updated_at``, both set by Loom on every write (UTC)."""

    created_at: datetime = ColumnField(read_only=True, server_default="CURRENT_TIMESTAMP")
    updated_at: datetime = ColumnField(read_only=True, server_default="CURRENT_TIMESTAMP")


class AuditableModel(TimestampedModel):
    """A timestamped model that also records who created and last updated each row.

    ``created_by`` and ``updated_by`` are filled from :func:`loom.core.model.current_actor`.
    """

    created_by: str | None = ColumnField(length=255, nullable=True, read_only=True)
    updated_by: str | None = ColumnField(length=255, nullable=True, read_only=True)
