"""Field declarations used as default values of model fields."""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

T = TypeVar("T")

_MISSING: Any = object()


class OnDelete(enum.StrEnum):
    """What the database does to a child row when its parent is deleted."""

    CASCADE = "CASCADE"
    SET_NULL = "SET NULL"
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
    *,
    primary_key: bool = False,
    autoincrement: bool | None = None,
    length: int | None = None,
    unique: bool = False,
    index: bool = False,
    nullable: bool | None = None,
    default: Any = _MISSING,
    default_factory: Callable[[], Any] | None = None,
    server_default: str | None = None,
    foreign_key: str | None = None,
    on_delete: OnDelete | str | None = None,
    private: bool = False,
    read_only: bool = False,
    check: str | None = None,
) -> Any:
    """Declare the column behind a model field.

    Args:
        primary_key: Part of the primary key.
        autoincrement: Database-generated integer key (default for a lone integer key).
        length: Maximum length of a ``str`` column (``VARCHAR(length)``); ``TEXT`` without it.
        unique: Add a unique constraint.
        index: Add an index.
        nullable: Accept NULL. Defaults to whether the annotation admits ``None``.
        default: Python-side default used when a create does not give the field.
        default_factory: Callable producing the default (for mutable values).
        server_default: SQL default expression evaluated by the database.
        foreign_key: ``"table.column"`` this field references.
        on_delete: What the database does to this row when the referenced row is deleted.
        private: Hidden from REST filtering and sorting allowlists by default.
        read_only: Clients cannot set it (server-managed); primary keys always are.
        check: SQL condition the column's values satisfy (``"price_cents >= 0"``), a CHECK
            constraint named ``ck_<table>_<field>``.

    Returns:
        A marker the model metaclass turns into a msgspec field.
    """
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
        check=check,
    )


@dataclass(frozen=True, slots=True)
class RelationSpec:
    """A relation to another model, loaded by profile."""

    target: type[Any] | str
    foreign_key: str
    many: bool
    profiles: tuple[str, ...]


def RelationField(
    target: type[Any] | str,
    *,
    foreign_key: str,
    many: bool = False,
    profiles: Sequence[str] = ("default",),
) -> Any:
    """Declare a relation loaded in one batched statement per relation, by profile.

    Args:
        target: The related model (or its class name, for forward references).
        foreign_key: For ``many=False`` (many-to-one) the field of *this* model that holds the
            target's key; for ``many=True`` (one-to-many) the field of the *target* that holds
            this model's key.
        many: One-to-many (a list) instead of many-to-one (one object or ``None``).
        profiles: Loading profiles in which the relation is loaded.

    Returns:
        A marker the model metaclass turns into a field that is ``UNSET`` until loaded.
    """
    return RelationSpec(target=target, foreign_key=foreign_key, many=many, profiles=tuple(profiles))


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
