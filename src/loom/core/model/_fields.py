"""Field declarations used as default values of model fields."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from msgspec import UNSET

from loom.core.errors import ConfigError
from loom.core.model._columns import (
    Cardinality,
    ColumnType,
    OnUpdate,
    ServerDefault,
    ServerOnUpdate,
)

T = TypeVar("T")

_MISSING: Any = object()


class OnDelete(enum.StrEnum):
    """What the database does to a child row when its parent is deleted."""

    CASCADE = "CASCADE"
    SET_NULL = "SET NULL"
    SET_DEFAULT = "SET DEFAULT"
    RESTRICT = "RESTRICT"
    NO_ACTION = "NO ACTION"


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """The column options of one model field, as given to :func:`ColumnField`."""

    primary_key: bool = False
    autoincrement: bool | None = None
    length: int | None = None
    unique: bool = False
    index: bool = False
    nullable: bool | None = None
    default: Any = _MISSING
    default_factory: Callable[[], Any] | None = None
    server_default: str | None = None
    foreign_key: str | None = None
    on_delete: OnDelete | None = None
    private: bool = False
    read_only: bool = False
    column_type: ColumnType | None = None
    onupdate_now: bool = False
    check: str | None = None

    @property
    def has_default(self) -> bool:
        """Whether the field has a Python-side default."""
        return self.default is not _MISSING or self.default_factory is not None

    @property
    def generated(self) -> bool:
        """Whether the database fills the value when the insert does not give one."""
        return bool((self.primary_key and self.autoincrement is not False) or self.server_default)


def ColumnField(
    column_type: ColumnType | None = None,
    /,
    *,
    primary_key: bool = False,
    autoincrement: bool | None = None,
    length: int | None = None,
    unique: bool = False,
    index: bool = False,
    nullable: bool | None = None,
    default: Any = _MISSING,
    default_factory: Callable[[], Any] | None = None,
    server_default: str | ServerDefault | None = None,
    server_onupdate: ServerOnUpdate | str | None = None,
    foreign_key: str | None = None,
    on_delete: OnDelete | str | None = None,
    private: bool = False,
    read_only: bool = False,
    db_type: ColumnType | None = None,
    check: str | None = None,
) -> Any:
    """Declare the column behind a model field.

    Args:
        column_type: The column type (``String(120)``, ``Text``, ``Numeric(precision=10,
            scale=2)``, ...); by default derived from the annotation.
        primary_key: Part of the primary key.
        autoincrement: Database-generated integer key (default for a lone integer key).
        length: Maximum length of a ``str`` column (``VARCHAR(length)``); ``TEXT`` without it.
        unique: Add a unique constraint.
        index: Add an index.
        nullable: Accept NULL. Defaults to whether the annotation admits ``None``.
        default: Python-side default used when a create does not give the field.
        default_factory: Callable producing the default (for mutable values).
        server_default: SQL default expression evaluated by the database, or
            ``ServerDefault.NOW`` (``CURRENT_TIMESTAMP``) / ``ServerDefault.UUID4`` (a random UUID
            Loom generates on insert).
        server_onupdate: ``ServerOnUpdate.NOW``: set to the current time on every update.
        foreign_key: ``"table.column"`` this field references.
        on_delete: What the database does to this row when the referenced row is deleted.
        private: Hidden from REST filtering and sorting allowlists by default.
        read_only: Clients cannot set it (server-managed); primary keys always are.
        db_type: loom-kernel's keyword for ``column_type``.
        check: SQL condition the column's values satisfy (``"price_cents >= 0"``), a CHECK
            constraint named ``ck_<table>_<field>``.

    Returns:
        A marker the model metaclass turns into a msgspec field.
    """
    if default is UNSET:
        default = _MISSING  # loom-kernel writes "no default" as UNSET
    if server_default == ServerDefault.UUID4:
        server_default = None
        if default is _MISSING and default_factory is None:
            default_factory = uuid.uuid4
    elif server_default == ServerDefault.NOW:
        server_default = "CURRENT_TIMESTAMP"
    return ColumnSpec(
        primary_key=primary_key,
        autoincrement=autoincrement,
        length=length,
        unique=unique,
        index=index,
        nullable=nullable,
        default=default,
        default_factory=default_factory,
        server_default=server_default,
        foreign_key=foreign_key,
        on_delete=OnDelete(on_delete) if on_delete is not None else None,
        private=private,
        read_only=read_only,
        column_type=db_type or column_type,
        onupdate_now=ServerOnUpdate.is_now(server_onupdate),
        check=check,
    )


column_field = ColumnField
"""loom-kernel's lower-case name of :func:`ColumnField`."""


@dataclass(frozen=True, slots=True)
class RelationSpec:
    """A relation to another model, loaded by profile.

    ``target`` is empty until the model class reads it from the field's annotation (when the
    declaration, as loom-kernel's, names no target).
    """

    target: type[Any] | str
    foreign_key: str
    many: bool
    profiles: tuple[str, ...]
    depends_on: tuple[str, ...] = ()


Relation = RelationSpec
"""loom-kernel's name of a relation declaration."""


def RelationField(
    target: type[Any] | str | None = None,
    *,
    foreign_key: str,
    many: bool | None = None,
    profiles: Sequence[str] = ("default",),
    cardinality: Cardinality | str | None = None,
    secondary: str | None = None,
    back_populates: str | None = None,
    on_delete: OnDelete | str | None = None,
    on_update: OnUpdate | str | None = None,
    depends_on: Sequence[str] = (),
    default: Any = None,
) -> Any:
    """Declare a relation loaded in one batched statement per relation, by profile.

    Both spellings work: Loom's ``RelationField(Address, foreign_key="user_id", many=True)``
    and loom-kernel's ``RelationField(foreign_key="user_id",
    cardinality=Cardinality.ONE_TO_MANY)``, whose target is the field's annotation
    (``list[Address]``).

    Args:
        target: The related model (or its class name, for forward references); by default the
            model the field's annotation names.
        foreign_key: For ``many=False`` (many-to-one) the field of *this* model that holds the
            target's key; for ``many=True`` (one-to-many) the field of the *target* that holds
            this model's key.
        many: One-to-many (a list) instead of many-to-one (one object or ``None``); by default
            from ``cardinality``.
        profiles: Loading profiles in which the relation is loaded.
        cardinality: loom-kernel's spelling of ``many`` (``ONE_TO_MANY`` is ``many=True``).
        secondary: An association table (many-to-many): not supported, an error names it.
        back_populates: Accepted for loom-kernel declarations; relations are loaded from one
            side, so it changes nothing.
        on_delete: Accepted for loom-kernel declarations: the foreign key's ``on_delete`` is
            declared on its ``ColumnField``.
        on_update: As ``on_delete``.
        depends_on: Other entities whose writes change the loaded value (cache tags).
        default: The value before the relation is loaded is ``UNSET``; ``None`` is the only
            default accepted.

    Returns:
        A marker the model metaclass turns into a field that is ``UNSET`` until loaded.

    Raises:
        ConfigError: ``MANY_TO_MANY`` or ``secondary`` (association tables), or another
            default than ``None``.
    """
    kind = Cardinality(cardinality) if cardinality is not None else None
    if kind is Cardinality.MANY_TO_MANY or secondary is not None:
        raise ConfigError(
            f"RelationField(foreign_key={foreign_key!r}): many-to-many relations through an "
            "association table are not supported; declare a model for the association table "
            "and two one-to-many relations"
        )
    if default is not None:
        raise ConfigError(
            f"RelationField(foreign_key={foreign_key!r}): default={default!r} is not supported; "
            "a relation is UNSET until its profile loads it"
        )
    if many is None:
        many = kind is Cardinality.ONE_TO_MANY
    return RelationSpec(
        target=target if target is not None else "",
        foreign_key=foreign_key,
        many=many,
        profiles=tuple(profiles),
        depends_on=tuple(depends_on),
    )


relation_field = RelationField
"""loom-kernel's lower-case name of :func:`RelationField`."""


@dataclass(frozen=True, slots=True)
class ProjectionSpec(Generic[T]):
    """A derived field computed by a loader for the profiles that ask for it.

    Args:
        loader: Computes values for a batch of rows; see the adapter's loaders
            (``CountLoader``, ``SumLoader``, ...) or any object with the same ``load`` method.
        profiles: Loading profiles in which the projection is computed.
        depends_on: Entities whose writes change the value (cache invalidation tags).
        default: Value when the loader has nothing for a row.
    """

    loader: Any
    profiles: tuple[str, ...] = ("default",)
    depends_on: tuple[str, ...] = ()
    default: T | None = None
    name: str = field(default="", compare=False)

    def has_value(self, obj: Any) -> bool:
        """Whether the projection has been computed on ``obj``.

        Args:
            obj: Model instance to inspect.

        Returns:
            True when the loader has set the value.
        """
        import msgspec

        return getattr(obj, self.name, msgspec.UNSET) is not msgspec.UNSET


MISSING = _MISSING

if TYPE_CHECKING:

    def Projection(
        *,
        loader: Any,
        profiles: tuple[str, ...] = ("default",),
        depends_on: tuple[str, ...] = (),
        default: Any = None,
    ) -> Any:
        """Type checkers see a function returning ``Any`` so ``size: int = Projection(...)``
        type-checks like a field default; at run time it is :class:`ProjectionSpec`."""
else:
    Projection = ProjectionSpec
