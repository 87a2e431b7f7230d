"""Compiling interfaces into routes an adapter can serve, checked once at app creation.

Everything a route needs per request is worked out here: the full path, which use-case
parameters come from the path and which from the query string, the list settings, the status.
A route that cannot work (a required parameter missing from the path, an unknown filterable
field, two routes on one method and path) is a ``ConfigError`` naming the interface and route.
Framework-neutral: imports the standard library and ``loom.core`` only.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import msgspec

from loom.core.errors import ConfigError
from loom.core.model import ModelInfo, model_info
from loom.core.use_case import ParamSpec, UseCasePlan
from loom.rest._query import ListQuery, RouteQuery, TypedQuery, default_fields
from loom.rest.model import ALL, DeclaredFields, RestInterface, RestRoute

PROFILE = "profile"
"""The ``execute`` parameter naming the loading profile."""

_PATH_PARAM = re.compile(r"{([A-Za-z_][A-Za-z0-9_]*)(?::[^}]*)?}")


@dataclass(frozen=True, slots=True)
class CompiledRoute:
    """One servable route.

    Attributes:
        interface: The interface that declared it.
        route: The declaration.
        plan: The use case's compiled plan.
        path: The full path template (prefix and path, no trailing slash but for ``/``).
        path_params: Path parameter names, in path order.
        query: What the query string may carry.
        status_code: The status of a successful answer.
        tags: Documentation tags (interface, then route).
        dependencies: Framework dependencies (interface, then route).
        operation_id: A unique OpenAPI operation id.
        info: The model of the route (the use case's, else the interface's), if any.
        defaults: Parameters passed when the request does not give them (a
            ``profile_default``).
    """

    interface: type[RestInterface[Any]]
    route: RestRoute
    plan: UseCasePlan
    path: str
    path_params: tuple[str, ...]
    query: RouteQuery
    status_code: int
    tags: tuple[str, ...]
    dependencies: tuple[Any, ...]
    operation_id: str
    info: ModelInfo | None
    defaults: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def method(self) -> str:
        """The HTTP method."""
        return self.route.method

    @property
    def has_body(self) -> bool:
        """Whether the use case takes a command (the request body)."""
        return self.plan.command_type is not None

    @property
    def where(self) -> str:
        """``Interface: METHOD /path``, for messages."""
        return f"{self.interface.__name__}: {self.method} {self.path}"


def join_path(prefix: str, path: str) -> str:
    """``prefix`` and ``path`` joined with one slash, without a trailing slash (but ``/``)."""
    return "/" + "/".join(part for part in (prefix.strip("/"), path.strip("/")) if part)


def compile_routes(
    interfaces: Iterable[type[RestInterface[Any]]],
    plan_of: Any,
    *,
    default_limit: int = 50,
    max_limit: int = 1000,
    rename: Callable[[str], str] | None = None,
    compat: str | None = None,
) -> list[CompiledRoute]:
    """Compile every route of ``interfaces``.

    Args:
        interfaces: The interface classes, in registration order.
        plan_of: ``plan_of(use_case) -> UseCasePlan`` (the kernel's ``plan``).
        default_limit: Page size of list routes when a request gives none.
        max_limit: Largest page size a request may ask for.
        rename: How the query string spells field and parameter names
            (:func:`loom.rest._casing.camel` for camelCase JSON), besides their declared
            names; ``None`` reads the declared names only.
        compat: ``"loom_kernel"`` compiles routes as loom-kernel 9 serves them (every route
            answers 200 unless it declares a status, the auto-CRUD delete included; a
            ``limit`` over the maximum is served the maximum); ``None`` is Loom's own way.

    Returns:
        The routes, in declaration order.

    Raises:
        ConfigError: A route that cannot work as declared; the message names it and the fix.
    """
    compiled: list[CompiledRoute] = []
    seen: dict[tuple[str, str], str] = {}
    operation_ids: set[str] = set()
    for interface in interfaces:
        if not (isinstance(interface, type) and issubclass(interface, RestInterface)):
            raise ConfigError(
                f"{interface!r} is listed as a REST interface but does not subclass "
                "loom.rest.model.RestInterface"
            )
        for route in interface.routes:
            item = _compile_one(
                interface, route, plan_of(route.use_case), default_limit, max_limit, rename, compat
            )
            key = (item.method, _shape(item.path))
            if key in seen:
                raise ConfigError(
                    f"{item.where}: the same method and path is already served by {seen[key]}; "
                    "change one path"
                )
            seen[key] = item.where
            operation_id = item.operation_id
            counter = 2
            while operation_id in operation_ids:
                operation_id = f"{item.operation_id}_{counter}"
                counter += 1
            operation_ids.add(operation_id)
            if operation_id != item.operation_id:
                item = dataclasses.replace(item, operation_id=operation_id)
            compiled.append(item)
    return compiled


def _shape(path: str) -> str:
    # /users/{id} and /users/{user_id} match the same requests.
    return _PATH_PARAM.sub("{}", path)


def _compile_one(
    interface: type[RestInterface[Any]],
    route: RestRoute,
    plan: UseCasePlan,
    default_limit: int,
    max_limit: int,
    rename: Callable[[str], str] | None = None,
    compat: str | None = None,
) -> CompiledRoute:
    path = join_path(interface.prefix, route.path)
    where = f"{interface.__name__}: {route.method} {path} ({route.use_case.__name__})"
    path_params = tuple(_PATH_PARAM.findall(path))
    if len(set(path_params)) != len(path_params):
        raise ConfigError(f"{where}: a path parameter appears twice; name each once")
    by_name = {spec.name: spec for spec in plan.params}
    typed = _typed_query(where, plan, path_params, rename)
    if typed is not None:
        del by_name[typed.param]  # its fields are the query parameters
    for spec in by_name.values():
        if spec.required and spec.name not in path_params:
            raise ConfigError(
                f"{where}: parameter {spec.name!r} of {route.use_case.__name__}.execute has no "
                f"default and is not in the path; add {{{spec.name}}} to the path or give it a "
                "default (it is then a query parameter)"
            )
    query_params = {
        name if rename is None else rename(name): spec
        for name, spec in by_name.items()
        if name not in path_params
    }
    if rename is not None:
        # Clients of camelCase APIs send either spelling; the camelCase one is documented.
        for name, spec in by_name.items():
            if name not in path_params:
                query_params.setdefault(name, spec)
    defaults: dict[str, Any] = {}
    profile = by_name.get(PROFILE)
    if profile is not None and PROFILE not in path_params:
        defaults = _profile(route, interface, profile, query_params, compat)
    model = plan.model or interface.model
    info = model_info(model) if model is not None else None
    listing = None
    if plan.query_param is not None:
        if info is None:
            raise ConfigError(
                f"{where}: the use case takes a QuerySpec but neither it nor the interface "
                "names a model; declare UseCase[Model, ...] or RestInterface[Model]"
            )
        listing = ListQuery(
            info=info,
            filterable=_fields(where, "filterable", info, route.filterable, interface.filterable),
            sortable=_sortable(where, info, route, interface, compat),
            pagination=route.pagination_mode or interface.pagination_mode,
            default_limit=min(default_limit, max_limit),
            max_limit=max_limit,
            aliases=None if rename is None else _aliases(where, info, rename),
            clamp_limit=compat is not None,
            fixed_pagination=not _first(
                route.allow_pagination_override, interface.allow_pagination_override, True
            ),
        )
        filters = listing.public(listing.filterable)
        clash = sorted(set(query_params) & {*filters, "sort", "limit", "page"})
        if clash:
            raise ConfigError(
                f"{where}: parameter(s) {', '.join(clash)} of the use case would clash with the "
                "list query string (filters, sort, limit, page); rename them"
            )
    return CompiledRoute(
        interface=interface,
        route=route,
        plan=plan,
        path=path,
        path_params=path_params,
        query=RouteQuery(listing=listing, params=query_params, typed=typed),
        status_code=_status(route, plan) if compat is None else _kernel_status(route),
        tags=tuple(dict.fromkeys((*interface.tags, *route.tags))),
        dependencies=(*interface.dependencies, *route.dependencies),
        operation_id=route.name or _snake(route.use_case.__name__.removesuffix("UseCase")),
        info=info,
        defaults=defaults,
    )


def _typed_query(
    where: str,
    plan: UseCasePlan,
    path_params: tuple[str, ...],
    rename: Callable[[str], str] | None,
) -> TypedQuery | None:
    """The ``Query()`` parameter (annotated with a Struct, which no path segment converts to)."""
    found = [
        spec
        for spec in plan.params
        if spec.name not in path_params
        and isinstance(spec.annotation, type)
        and issubclass(spec.annotation, msgspec.Struct)
    ]
    if not found:
        return None
    if len(found) > 1:
        raise ConfigError(
            f"{where}: parameters {', '.join(repr(s.name) for s in found)} are all typed "
            "queries; the query string fills one, keep one"
        )
    (spec,) = found
    fields: dict[str, str] = {}
    for field in msgspec.structs.fields(spec.annotation):
        fields[field.encode_name] = field.name
        if rename is not None:
            # Clients of camelCase APIs send either spelling.
            fields.setdefault(rename(field.name), field.name)
            fields.setdefault(field.name, field.name)
    return TypedQuery(param=spec.name, struct=spec.annotation, fields=fields)


def _first(*values: Any) -> Any:
    return next(value for value in values if value is not None)


def _profile(
    route: RestRoute,
    interface: type[RestInterface[Any]],
    spec: ParamSpec,
    query_params: dict[str, ParamSpec],
    compat: str | None,
) -> dict[str, Any]:
    """Apply ``expose_profile``, ``allowed_profiles`` and ``profile_default`` to ``profile``.

    Returns:
        The value the route passes when the request names no profile (empty: ``execute``'s
        own default).
    """
    if not _first(route.expose_profile, interface.expose_profile, compat is None):
        del query_params[PROFILE]  # ?profile= is then an unknown parameter
    else:
        allowed = tuple(route.allowed_profiles or interface.allowed_profiles)
        if allowed:
            # A value outside the list does not convert: a 400 naming profile.
            query_params[PROFILE] = ParamSpec(
                spec.name,
                Literal[allowed],
                spec.default,
            )
    default = _first(route.profile_default, interface.profile_default, "")
    return {PROFILE: default} if default else {}


def _fields(
    where: str,
    option: str,
    info: ModelInfo,
    route_value: DeclaredFields | None,
    interface_value: DeclaredFields | None,
) -> tuple[str, ...]:
    given = route_value if route_value is not None else interface_value
    if given is None or given is ALL:
        return default_fields(info)
    if isinstance(given, str):
        raise ConfigError(f"{where}: {option} must be a tuple of field names, got {given!r}")
    # loom-kernel also names fields by reference: F(Order).status.
    chosen = [_field_name(entry) for entry in given]
    unknown = [name for name in chosen if name not in info.columns]
    if unknown:
        raise ConfigError(
            f"{where}: {option} names {', '.join(repr(u) for u in unknown)}, not column(s) of "
            f"{info.name}; columns: {', '.join(info.columns)}"
        )
    return tuple(name for name in info.columns if name in set(chosen))


def _field_name(entry: Any) -> Any:
    path = getattr(entry, "path", None)
    if isinstance(path, tuple) and all(isinstance(part, str) for part in path):
        return ".".join(path)  # a reference to a nested field is no column: refused below
    return entry


def _sortable(
    where: str,
    info: ModelInfo,
    route: RestRoute,
    interface: type[RestInterface[Any]],
    compat: str | None,
) -> tuple[str, ...]:
    chosen = _fields(where, "sortable", info, route.sortable, interface.sortable)
    if compat is None or len(info.primary_key) != 1 or info.pk in chosen:
        return chosen
    # loom-kernel lets every route sort by the primary key, its default order.
    return tuple(name for name in info.columns if name in {*chosen, info.pk})


def _aliases(where: str, info: ModelInfo, rename: Callable[[str], str]) -> dict[str, str]:
    aliases: dict[str, str] = {}
    for name in info.columns:
        public = rename(name)
        if public in aliases:
            raise ConfigError(
                f"{where}: fields {aliases[public]!r} and {name!r} of {info.name} are both "
                f"{public!r} in camelCase; rename one"
            )
        aliases[public] = name
    for name in info.columns:
        # The declared (snake_case) names are read too, after the camelCase ones that
        # messages and the documentation use; a name another field spells wins.
        aliases.setdefault(name, name)
    return aliases


def _status(route: RestRoute, plan: UseCasePlan) -> int:
    if route.status_code is not None:
        return route.status_code
    if getattr(plan.use_case, "result_type", None) is type(None):
        return 204
    return 200


def _kernel_status(route: RestRoute) -> int:
    # loom-kernel 9 answers every route with a body: 200 unless declared, an auto-CRUD delete
    # (``true``) included.
    if route.auto == "delete" or route.status_code is None:
        return 200
    return route.status_code


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
