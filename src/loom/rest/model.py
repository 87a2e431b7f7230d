"""``RestInterface`` and ``RestRoute``: how use cases are exposed over HTTP, framework-neutral.

An interface groups the routes of one resource under a prefix. Routes name a use case, a method
and a path; the adapter (``loom.rest.fastapi``) turns them into endpoints. This module imports
only the standard library and ``loom.core``; it never imports a web framework, so FastAPI
``Depends(...)`` objects given as ``dependencies`` are carried through untouched.

Example:
    >>> from loom.rest.autocrud import build_auto_routes
    >>> class ProductRestInterface(RestInterface[Product]):  # doctest: +SKIP
    ...     prefix = "/products"
    ...     tags = ("Products",)
    ...     pagination_mode = PaginationMode.CURSOR
    ...     routes = (
    ...         RestRoute(use_case=ListLowStockProductsUseCase, method="GET", path="/low-stock"),
    ...         *build_auto_routes(Product, ()),
    ...     )
"""

from __future__ import annotations

import typing
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from loom.core.errors import ConfigError
from loom.core.query import PaginationMode

ModelT = TypeVar("ModelT")

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
"""The HTTP methods a route may use."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RestRoute:
    """One endpoint: a use case behind a method and a path.

    Attributes:
        use_case: The use case class run by the endpoint.
        method: HTTP method (``GET``, ``POST``, ``PUT``, ``PATCH``, ``DELETE``; any case).
        path: Path under the interface's prefix; ``{name}`` segments are path parameters
            passed to ``execute`` by name.
        summary: One line for the API documentation.
        description: Longer documentation text.
        status_code: Status of a successful answer. Defaults to 200, 204 when the use case
            returns ``None``, and 201 for the auto-generated create route.
        tags: Documentation tags added to the interface's tags.
        dependencies: FastAPI dependencies (``Depends(...)``) run before the use case, for
            example authentication; they are added to the interface's dependencies.
        name: Operation id in OpenAPI (default: derived from the use case name).
        pagination_mode: Default pagination of a list route (default: the interface's).
        filterable: Fields a list route may filter on (default: the interface's).
        sortable: Fields a list route may sort on (default: the interface's).
        deprecated: Mark the operation deprecated in OpenAPI.
        include_in_schema: List the operation in OpenAPI.
        auto: Which auto-CRUD operation generated the route (``create``, ``list``, ...);
            ``None`` for routes written by hand.
    """

    use_case: type[Any]
    method: str = "GET"
    path: str = "/"
    summary: str | None = None
    description: str | None = None
    status_code: int | None = None
    tags: Sequence[str] = ()
    dependencies: Sequence[Any] = ()
    name: str | None = None
    pagination_mode: PaginationMode | None = None
    filterable: Sequence[str] | None = None
    sortable: Sequence[str] | None = None
    deprecated: bool = False
    include_in_schema: bool = True
    auto: str | None = None

    def __post_init__(self) -> None:
        method = str(self.method).upper()
        if method not in METHODS:
            raise ConfigError(
                f"RestRoute for {getattr(self.use_case, '__name__', self.use_case)}: method "
                f"{self.method!r} is not supported; use one of {', '.join(METHODS)}"
            )
        object.__setattr__(self, "method", method)
        if not str(self.path).startswith("/"):
            raise ConfigError(
                f"RestRoute for {getattr(self.use_case, '__name__', self.use_case)}: path "
                f"{self.path!r} must start with '/'; write {'/' + str(self.path)!r}"
            )


class RestInterface(Generic[ModelT]):
    """The routes of one resource, collected by discovery (modules and manifest mode).

    Subclass it with the model as type argument and set the class attributes.

    Attributes:
        model: The model of the type argument (``RestInterface[Product]``).
        prefix: Path prefix of every route (``/products``).
        tags: Documentation tags of every route.
        routes: The routes; auto-CRUD (:func:`loom.rest.autocrud.build_auto_routes`) and
            explicit routes mix freely.
        pagination_mode: Default pagination of list routes (a request may choose the other
            with ``pagination=offset|cursor``).
        filterable: Fields list routes may filter on. ``None`` (the default) allows every
            column of the model except those declared ``ColumnField(private=True)``.
        sortable: Fields list routes may sort on. ``None`` (the default) allows every column
            except private ones.
        dependencies: FastAPI dependencies run before every route (authentication, ...).
    """

    __loom_kind__: ClassVar[str] = "interface"
    # Discovery reads __abstract__ from a class's own body: the base is skipped, subclasses not.
    __abstract__: ClassVar[bool] = True
    model: ClassVar[type[Any] | None] = None
    prefix: ClassVar[str] = ""
    tags: ClassVar[Sequence[str]] = ()
    routes: ClassVar[Sequence[RestRoute]] = ()
    pagination_mode: ClassVar[PaginationMode] = PaginationMode.OFFSET
    filterable: ClassVar[Sequence[str] | None] = None
    sortable: ClassVar[Sequence[str] | None] = None
    dependencies: ClassVar[Sequence[Any]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for base in cls.__dict__.get("__orig_bases__", ()):
            origin = typing.get_origin(base)
            if isinstance(origin, type) and issubclass(origin, RestInterface):
                (arg,) = typing.get_args(base)
                if isinstance(arg, type) and "model" not in cls.__dict__:
                    cls.model = arg
                break


__all__ = ["METHODS", "PaginationMode", "RestInterface", "RestRoute"]
