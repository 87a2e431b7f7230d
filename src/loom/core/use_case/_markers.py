"""Markers used as default values of ``execute`` parameters: ``Input``, ``LoadById``, ``Exists``.

Each marker function returns a frozen record typed ``Any`` so ``cmd: CreateUser = Input()``
type-checks; :func:`loom.core.use_case.compile_use_case` reads the records once, at boot.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any


class OnMissing(enum.StrEnum):
    """What a marker does when no row matches."""

    RAISE = "raise"
    """Refuse the request: 404 for a path parameter, 422 naming the field for a command field."""

    RETURN_NONE = "return_none"
    """``LoadById``/``Load``: give the parameter ``None`` and let ``execute`` decide."""

    RETURN_FALSE = "return_false"
    """``Exists``: give the parameter ``False`` and let ``execute`` decide."""


class SourceKind(enum.StrEnum):
    """Where a marker reads its lookup value: an ``execute`` parameter or a command field."""

    PARAM = "param"
    COMMAND = "command"


class LookupKind(enum.StrEnum):
    """How a loading marker finds its row: by primary key or by another field."""

    BY_ID = "by_id"
    BY_FIELD = "by_field"


@dataclass(frozen=True, slots=True)
class InputMarker:
    """The parameter receives the command decoded from the request body."""


@dataclass(frozen=True, slots=True)
class QueryMarker:
    """The parameter receives a typed query (a Struct) the caller passes under its name."""


@dataclass(frozen=True, slots=True)
class LoadByIdMarker:
    """The parameter receives the entity whose primary key is the value of parameter ``by``.

    Attributes:
        model: The Loom model to load.
        by: Name of the ``execute`` parameter that holds the key.
        profile: Loading profile passed to ``get_by_id``.
        on_missing: ``RAISE`` (404) or ``RETURN_NONE``.
    """

    model: type[Any]
    by: str
    profile: str = "default"
    on_missing: OnMissing = OnMissing.RAISE


@dataclass(frozen=True, slots=True)
class LoadMarker:
    """The parameter receives the entity whose column ``against`` equals a request value.

    Attributes:
        model: The Loom model to load.
        from_param: Name of the ``execute`` parameter that holds the value, or ``None``.
        from_command: Name of the command field that holds the value, or ``None``.
        against: The column compared with the value.
        profile: Loading profile passed to ``get_by``.
        on_missing: ``RAISE`` (404, or 422 for a command field) or ``RETURN_NONE``.
    """

    model: type[Any]
    from_param: str | None
    from_command: str | None
    against: str
    profile: str = "default"
    on_missing: OnMissing = OnMissing.RAISE


@dataclass(frozen=True, slots=True)
class ExistsMarker:
    """The parameter receives whether a row of ``model`` has ``against`` equal to a value.

    Attributes:
        model: The Loom model to look in.
        from_param: Name of the ``execute`` parameter that holds the value, or ``None``.
        from_command: Name of the command field that holds the value, or ``None``.
        against: The model column compared with the value (``None``: the primary key).
        on_missing: What happens when no row matches.
    """

    model: type[Any]
    from_param: str | None
    from_command: str | None
    against: str | None
    on_missing: OnMissing


def Input() -> Any:
    """Mark the parameter that receives the command decoded (strictly) from the request body.

    Returns:
        A marker; annotate the parameter with the command class.

    Example:
        >>> class CreateProductUseCase(UseCase[Product, Product]):  # doctest: +SKIP
        ...     async def execute(self, cmd: CreateProduct = Input()) -> Product:
        ...         return await self.main_repo.create(cmd)
    """
    return InputMarker()


def LoadById(
    model: type[Any],
    *,
    by: str = "id",
    profile: str = "default",
    on_missing: OnMissing = OnMissing.RAISE,
) -> Any:
    """Mark a parameter that receives an entity loaded by the primary key in parameter ``by``.

    A missing entity refuses the request with :class:`loom.core.errors.NotFoundError`
    ("Product 42 not found") before ``execute`` runs; with ``on_missing=OnMissing.RETURN_NONE``
    the parameter is ``None`` instead.

    Args:
        model: The Loom model to load.
        by: Name of the ``execute`` parameter that holds the primary key (``id`` by default).
        profile: Loading profile passed to ``get_by_id``.
        on_missing: ``OnMissing.RAISE`` (default) or ``OnMissing.RETURN_NONE``.

    Returns:
        A marker; annotate the parameter with the model class.

    Example:
        >>> async def execute(  # doctest: +SKIP
        ...     self, product_id: int, product: Product = LoadById(Product, by="product_id")
        ... ) -> str: ...
    """
    return LoadByIdMarker(model=model, by=by, profile=profile, on_missing=OnMissing(on_missing))


def Load(
    model: type[Any],
    *,
    from_param: str | None = None,
    from_command: str | None = None,
    against: str,
    profile: str = "default",
    on_missing: OnMissing = OnMissing.RAISE,
) -> Any:
    """Mark a parameter that receives the entity whose ``against`` column equals a value.

    Give exactly one of ``from_param`` and ``from_command``. A missing entity is a 404 when the
    value came from a parameter, a 422 naming the field when it came from the command; with
    ``on_missing=OnMissing.RETURN_NONE`` the parameter is ``None`` instead.

    Args:
        model: The Loom model to load.
        from_param: Name of the ``execute`` parameter that holds the value.
        from_command: Name of the ``Input()`` command field that holds the value.
        against: The column compared with the value (``email``, ``sku``, ...).
        profile: Loading profile passed to ``get_by``.
        on_missing: ``OnMissing.RAISE`` (default) or ``OnMissing.RETURN_NONE``.

    Returns:
        A marker; annotate the parameter with the model class.

    Example:
        >>> async def execute(  # doctest: +SKIP
        ...     self, sku: str, product: Product = Load(Product, from_param="sku", against="sku")
        ... ) -> Product: ...
    """
    return LoadMarker(
        model=model,
        from_param=from_param,
        from_command=from_command,
        against=against,
        profile=profile,
        on_missing=OnMissing(on_missing),
    )


def Query() -> Any:
    """Mark a parameter that receives a typed query: a Struct of query string values.

    The annotation (a ``msgspec.Struct`` of scalar fields) is the query's contract; callers
    pass an instance, or a mapping converted to it, under the parameter's name.

    Returns:
        A marker; annotate the parameter with the query Struct.

    Example:
        >>> async def execute(  # doctest: +SKIP
        ...     self, query: StockQuery = Query()
        ... ) -> list[Product]: ...
    """
    return QueryMarker()


def Exists(
    model: type[Any],
    *,
    from_param: str | None = None,
    from_command: str | None = None,
    against: str | None = None,
    on_missing: OnMissing = OnMissing.RETURN_FALSE,
) -> Any:
    """Mark a ``bool`` parameter that says whether a row matching a request value exists.

    Give exactly one of ``from_param`` and ``from_command``. By default the parameter is
    ``False`` when no row matches and ``execute`` decides (loom-kernel's default). With
    ``on_missing=OnMissing.RAISE`` a missing row refuses the request instead:
    :class:`loom.core.errors.NotFoundError` (404) when the value came from a path parameter,
    :class:`loom.core.errors.ValidationError` (422) naming the field when it came from the
    command. A command value that is ``None`` or not sent is not checked, and the parameter is
    ``False``.

    Args:
        model: The Loom model to look in.
        from_param: Name of the ``execute`` parameter that holds the value.
        from_command: Name of the field of the ``Input()`` command that holds the value.
        against: The model column compared with the value; the primary key by default.
        on_missing: ``OnMissing.RETURN_FALSE`` (default) or ``OnMissing.RAISE``.

    Returns:
        A marker; annotate the parameter ``bool``.

    Example:
        >>> async def execute(  # doctest: +SKIP
        ...     self,
        ...     user_id: int,
        ...     cmd: CreateUserAddress = Input(),
        ...     _user_exists: bool = Exists(
        ...         User, from_param="user_id", against="id", on_missing=OnMissing.RAISE
        ...     ),
        ... ) -> Address: ...
    """
    return ExistsMarker(
        model=model,
        from_param=from_param,
        from_command=from_command,
        against=against,
        on_missing=OnMissing(on_missing),
    )
