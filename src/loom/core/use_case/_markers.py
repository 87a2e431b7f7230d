"""Markers used as default values of ``execute`` parameters: ``Input``, ``LoadById``, ``Exists``.

Each marker function returns a frozen record typed ``Any`` so ``cmd: CreateUser = Input()``
type-checks; :func:`loom.core.use_case.compile_use_case` reads the records once, at boot.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any


class OnMissing(enum.Enum):
    """What :func:`Exists` does when no row matches."""

    RAISE = "raise"
    """Refuse the request: 404 for a path parameter, 422 naming the field for a command field."""

    RETURN_FALSE = "return_false"
    """Give the parameter ``False`` and let ``execute`` decide."""


@dataclass(frozen=True, slots=True)
class InputMarker:
    """The parameter receives the command decoded from the request body."""


@dataclass(frozen=True, slots=True)
class LoadByIdMarker:
    """The parameter receives the entity whose primary key is the value of parameter ``by``.

    Attributes:
        model: The Loom model to load.
        by: Name of the ``execute`` parameter that holds the key.
        profile: Loading profile passed to ``get_by_id``.
    """

    model: type[Any]
    by: str
    profile: str = "default"


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


def LoadById(model: type[Any], *, by: str, profile: str = "default") -> Any:
    """Mark a parameter that receives an entity loaded by the primary key in parameter ``by``.

    A missing entity refuses the request with :class:`loom.core.errors.NotFoundError`
    ("Product 42 not found") before ``execute`` runs.

    Args:
        model: The Loom model to load.
        by: Name of the ``execute`` parameter that holds the primary key.
        profile: Loading profile passed to ``get_by_id``.

    Returns:
        A marker; annotate the parameter with the model class.

    Example:
        >>> async def execute(  # doctest: +SKIP
        ...     self, product_id: int, product: Product = LoadById(Product, by="product_id")
        ... ) -> str: ...
    """
    return LoadByIdMarker(model=model, by=by, profile=profile)


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
