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

import enum
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, TypeAlias, TypeVar

from loom.core.errors import ConfigError
from loom.core.query import PaginationMode

if TYPE_CHECKING:
    from loom.core.use_case import FieldRef

ModelT = TypeVar("ModelT")

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
"""The HTTP methods a route may use."""


class _AllFields(enum.Enum):
    ALL = "all"


ALL = _AllFields.ALL
"""``filterable = ALL`` / ``sortable = ALL``: every column but private ones (loom-kernel's name
for what ``None``, the default, already does)."""

DeclaredFields: TypeAlias = "Sequence[str | FieldRef] | Literal[_AllFields.ALL]"
"""What ``filterable`` and ``sortable`` take: field names, ``F(Model).field`` references, or
:data:`ALL`."""


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
        allow_pagination_override: Whether a request may choose the other pagination
            (``pagination=``, or ``page``/``cursor`` alone); ``None`` inherits the interface's,
            which allows it by default.
        expose_profile: Whether ``?profile=`` is accepted (when ``execute`` takes a
            ``profile``); ``None`` inherits the interface's, which accepts it by default
            (loom-kernel's format, ``rest.compat: loom_kernel``, refuses it by default).
        allowed_profiles: The profiles a request may ask for; empty inherits the interface's,
            and no list at all accepts any.
        profile_default: The profile when the request names none; ``None`` inherits the
            interface's, else ``execute``'s default.
        requires_roles: loom-kernel's role check; refused (a ``ConfigError``) rather than
            ignored, so no route is left open: guard routes with ``dependencies``.
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
    filterable: DeclaredFields | None = None
    sortable: DeclaredFields | None = None
    deprecated: bool = False
    include_in_schema: bool = True
    auto: str | None = None
    allow_pagination_override: bool | None = None
    expose_profile: bool | None = None
    allowed_profiles: Sequence[str] = ()
    profile_default: str | None = None
    requires_roles: Sequence[str] = ()

    def __post_init__(self) -> None:
        _refuse_roles(f"RestRoute for {getattr(self.use_case, '__name__', self.use_case)}", self)
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
        auto: Generate the auto-CRUD routes (loom-kernel's spelling of
            ``routes = build_auto_routes(Model, include)``) when ``routes`` is empty.
        include: The auto-CRUD operations ``auto`` generates; empty generates all five.
        allow_pagination_override: Whether requests may choose the other pagination (default
            ``True``); a route may override it.
        expose_profile: Whether routes accept ``?profile=``; ``None`` accepts it where
            ``execute`` takes a ``profile`` (``rest.compat: loom_kernel``: refuses it).
        allowed_profiles: The profiles requests may ask for (empty: any).
        profile_default: The profile when a request names none.
    """

    __loom_kind__: ClassVar[str] = "interface"
    # Discovery reads __abstract__ from a class's own body: the base is skipped, subclasses not.
    __abstract__: ClassVar[bool] = True
    model: ClassVar[type[Any] | None] = None
    prefix: ClassVar[str] = ""
    tags: ClassVar[Sequence[str]] = ()
    routes: ClassVar[Sequence[RestRoute]] = ()
    pagination_mode: ClassVar[PaginationMode] = PaginationMode.OFFSET
    filterable: ClassVar[DeclaredFields | None] = None
    sortable: ClassVar[DeclaredFields | None] = None
    dependencies: ClassVar[Sequence[Any]] = ()
    auto: ClassVar[bool] = False
    include: ClassVar[Sequence[str]] = ()
    allow_pagination_override: ClassVar[bool | None] = None
    expose_profile: ClassVar[bool | None] = None
    allowed_profiles: ClassVar[Sequence[str]] = ()
    profile_default: ClassVar[str | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for base in cls.__dict__.get("__orig_bases__", ()):
            origin = typing.get_origin(base)
            if isinstance(origin, type) and issubclass(origin, RestInterface):
                (arg,) = typing.get_args(base)
                if isinstance(arg, type) and "model" not in cls.__dict__:
                    cls.model = arg
                break
        _refuse_roles(cls.__name__, cls)
        if cls.auto and not cls.routes and cls.model is not None:
            from loom.rest.autocrud import build_auto_routes  # autocrud imports this module

            cls.routes = build_auto_routes(cls.model, cls.include)


def _refuse_roles(where: str, declaration: Any) -> None:
    if getattr(declaration, "requires_roles", ()):
        raise ConfigError(
            f"{where}: requires_roles is not supported; guard the routes with "
            "dependencies=(Depends(check),), a FastAPI dependency that refuses callers "
            "without the role (ignoring it would leave the routes open)"
        )


__all__ = ["ALL", "DeclaredFields", "METHODS", "PaginationMode", "RestInterface", "RestRoute"]
