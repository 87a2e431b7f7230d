"""``build_auto_routes``: the five CRUD routes of a model, as generated use cases.

Imports msgspec, the standard library and ``loom.core`` only (no web framework).

Example:
    >>> routes = build_auto_routes(Product, ())  # doctest: +SKIP
    >>> [(r.method, r.path) for r in routes]  # doctest: +SKIP
    [('POST', '/'), ('GET', '/'), ('GET', '/{id}'), ('PATCH', '/{id}'), ('DELETE', '/{id}')]
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from loom.core.errors import ConfigError
from loom.core.model import model_info
from loom.rest._generated import AutoCrud, auto_crud
from loom.rest.model import RestRoute

AUTO_OPERATIONS = ("create", "list", "get", "update", "delete")
"""The operations ``build_auto_routes`` knows, in the order it returns them."""


def build_auto_routes(model: type[Any], include: Iterable[str] = ()) -> tuple[RestRoute, ...]:
    """The auto-CRUD routes of ``model``.

    ``POST /`` (create, 201 with ``Location``), ``GET /`` (list, read-only), ``GET /{id}``
    (read-only), ``PATCH /{id}`` (partial update) and ``DELETE /{id}`` (204). The path
    parameter is the model's primary-key field name. Missing rows are 404.

    Args:
        model: A Loom model with a single-column primary key.
        include: Operations to build (``("get", "list")``); empty builds all five.

    Returns:
        The routes, in the order of :data:`AUTO_OPERATIONS`.

    Raises:
        ConfigError: An unknown operation name, or a model without a single-column key.
    """
    wanted = tuple(include)
    unknown = [name for name in wanted if name not in AUTO_OPERATIONS]
    if unknown:
        raise ConfigError(
            f"build_auto_routes({getattr(model, '__name__', model)}): unknown operation(s) "
            f"{', '.join(repr(u) for u in unknown)}; use some of {', '.join(AUTO_OPERATIONS)} "
            "or () for all"
        )
    selected = wanted or AUTO_OPERATIONS
    crud = auto_crud(model)
    info = model_info(model)
    item = f"/{{{info.pk}}}"
    name = info.name
    table: dict[str, RestRoute] = {
        "create": RestRoute(
            use_case=crud.create,
            method="POST",
            path="/",
            summary=f"Create a {name}",
            status_code=201,
            auto="create",
        ),
        "list": RestRoute(
            use_case=crud.list, method="GET", path="/", summary=f"List {name}", auto="list"
        ),
        "get": RestRoute(
            use_case=crud.get, method="GET", path=item, summary=f"Get a {name}", auto="get"
        ),
        "update": RestRoute(
            use_case=crud.update,
            method="PATCH",
            path=item,
            summary=f"Update a {name}",
            auto="update",
        ),
        "delete": RestRoute(
            use_case=crud.delete,
            method="DELETE",
            path=item,
            summary=f"Delete a {name}",
            status_code=204,
            auto="delete",
        ),
    }
    return tuple(table[op] for op in AUTO_OPERATIONS if op in selected)


__all__ = ["AUTO_OPERATIONS", "AutoCrud", "auto_crud", "build_auto_routes"]
