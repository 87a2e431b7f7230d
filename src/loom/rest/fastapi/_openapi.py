"""OpenAPI for generated endpoints: parameters, filters, sort keys, msgspec schemas.

Endpoints declare no pydantic parameters, so FastAPI documents nothing by itself: each
operation gets its path and query parameters (every filterable field, with the operators in
the description; the sort keys as an enum), its request body and its responses here, and the
msgspec JSON schemas of commands, results and problem documents are merged into
``components.schemas``.
"""

from __future__ import annotations

import contextlib
import types
import typing
from collections.abc import Callable
from typing import Any

import msgspec
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from loom.core.query import FilterOp, PaginationMode
from loom.core.query._fieldtypes import OPERATORS, kind_of, scalar_type
from loom.rest._casing import CamelCase
from loom.rest._compat import STATUSES, KernelErrorBody
from loom.rest._compile import CompiledRoute
from loom.rest._problem import PROBLEM_MEDIA_TYPE, Problem
from loom.rest._query import ListQuery

REF = "#/components/schemas/{name}"

_OP_HINTS = {
    FilterOp.IN: "comma-separated values",
    FilterOp.NOT_IN: "comma-separated values",
    FilterOp.BETWEEN: "low,high",
    FilterOp.IS_NULL: "true or false",
    FilterOp.LIKE: "pattern with % and _",
    FilterOp.ILIKE: "pattern with % and _, any case",
}


class Schemas:
    """Collects the types to document, then renders their schemas once."""

    def __init__(self) -> None:
        self._types: list[Any] = [Problem]
        self._rendered: tuple[dict[str, Any], dict[str, Any]] | None = None

    def ref(self, tp: Any) -> dict[str, Any]:
        """A schema for ``tp``: ``{}`` for unknown types, ``anyOf`` for unions of structs."""
        if tp is None or tp is Any:
            return {}
        args = _union_args(tp)
        if args is not None:
            members = [self.ref(arg) for arg in args if arg is not type(None)]
            schema: dict[str, Any] = {"anyOf": members}
            if type(None) in args:
                schema["anyOf"].append({"type": "null"})
            return schema
        try:
            msgspec.json.schema(tp)
        except (TypeError, ValueError):
            return {}
        self._types.append(tp)
        return {"__loom_type__": len(self._types) - 1}

    def render(self) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """The schema of each collected type, and the shared components."""
        schemas, components = msgspec.json.schema_components(self._types, ref_template=REF)
        return list(schemas), components


def _union_args(tp: Any) -> tuple[Any, ...] | None:
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        return typing.get_args(tp)
    return None


def _resolve(value: Any, schemas: list[dict[str, Any]]) -> Any:
    # The placeholders stand for schemas known only after every type was collected.
    if isinstance(value, dict):
        resolved = {
            key: _resolve(item, schemas) for key, item in value.items() if key != "__loom_type__"
        }
        if "__loom_type__" in value:
            return {**schemas[value["__loom_type__"]], **resolved}
        return resolved
    if isinstance(value, list):
        return [_resolve(item, schemas) for item in value]
    return value


def operation_extra(
    route: CompiledRoute,
    schemas: Schemas,
    casing: CamelCase | None = None,
    *,
    compat: str | None = None,
) -> dict[str, Any]:
    """The OpenAPI fields of one operation (with placeholders until :func:`install_openapi`).

    With ``casing``, bodies and results are documented by their camelCase variants; with
    ``compat``, the results and error bodies loom-kernel 9 answers.
    """
    shown: Callable[[Any], Any] = casing.variant if casing is not None else _same
    extra: dict[str, Any] = {"parameters": _parameters(route, schemas)}
    if route.plan.command_type is not None:
        body = schemas.ref(shown(route.plan.command_type))
        extra["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
        aliases = casing.aliases(route.plan.command_type) if casing is not None else {}
        if aliases:
            example = next(iter(aliases.items()))
            extra["requestBody"]["description"] = (
                "Field names are camelCase; each is also accepted in its snake_case spelling "
                f"({example[0]} for {example[1]}), but not both at once."
            )
            extra["requestBody"]["x-loom-snake-case-aliases"] = aliases
    extra["responses"] = _responses(route, schemas, shown)
    if compat is not None:
        _kernel_responses(route, schemas, extra["responses"])
    return extra


def _kernel_responses(route: CompiledRoute, schemas: Schemas, responses: dict[str, Any]) -> None:
    if route.route.auto == "delete":
        success = responses[str(route.status_code)]
        success["description"] = "true when the row was deleted, false when there was none"
        success["content"] = {"application/json": {"schema": {"type": "boolean"}}}
    kernel = {"content": {"application/json": {"schema": schemas.ref(KernelErrorBody)}}}
    for status, response in responses.items():
        if status.isdigit() and int(status) in STATUSES:
            response.update(kernel)
    if route.path_params or route.has_body:
        responses.setdefault("422", {"description": "Invalid body or parameters", **kernel})


def _same(tp: Any) -> Any:
    return tp


def _parameters(route: CompiledRoute, schemas: Schemas) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = []
    by_name = {spec.name: spec for spec in route.plan.params}
    for name in route.path_params:
        spec = by_name.get(name)
        params.append(
            {
                "name": name,
                "in": "path",
                "required": True,
                "schema": schemas.ref(spec.annotation) if spec is not None else {"type": "string"},
            }
        )
    for name, spec in route.query.params.items():
        schema = dict(schemas.ref(spec.annotation))
        with contextlib.suppress(TypeError):
            schema["default"] = msgspec.to_builtins(spec.default)
        params.append({"name": name, "in": "query", "required": False, "schema": schema})
    typed = route.query.typed
    if typed is not None:
        names = {field: name for name, field in reversed(list(typed.fields.items()))}
        for field in msgspec.structs.fields(typed.struct):
            params.append(
                {
                    "name": names.get(field.name, field.encode_name),
                    "in": "query",
                    "required": field.required,
                    "schema": schemas.ref(field.type),
                }
            )
    if route.query.listing is not None:
        params.extend(_list_parameters(route.query.listing, schemas))
    return params


def _list_parameters(listing: ListQuery, schemas: Schemas) -> list[dict[str, Any]]:
    info = listing.info
    params: list[dict[str, Any]] = []
    for field, name in zip(listing.filterable, listing.public(listing.filterable), strict=True):
        tp = scalar_type(info.columns[field])
        ops = [op for op in FilterOp if op in OPERATORS[kind_of(tp)]]
        forms = ", ".join(
            f"{name}__{op.value}" + (f" ({_OP_HINTS[op]})" if op in _OP_HINTS else "") for op in ops
        )
        description = f"Filter: {name} equals the value. Other operators: {forms}."
        if name != field and listing.aliases is not None and listing.aliases.get(field) == field:
            description += f" Also accepted as {field}."
        params.append(
            {
                "name": name,
                "in": "query",
                "required": False,
                "description": description,
                "schema": schemas.ref(tp),
            }
        )
    keys = [key for name in listing.public(listing.sortable) for key in (name, f"-{name}")]
    params.extend(
        [
            {
                "name": "sort",
                "in": "query",
                "required": False,
                "description": (
                    "Sort keys, comma-separated, in order; '-' for descending"
                    + ("; snake_case names are accepted too." if _snake_too(listing) else ".")
                ),
                "style": "form",
                "explode": False,
                "schema": {"type": "array", "items": {"type": "string", "enum": keys}},
            },
            {
                "name": "limit",
                "in": "query",
                "required": False,
                "description": "Rows per page.",
                "schema": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": listing.max_limit,
                    "default": listing.default_limit,
                },
            },
            {
                "name": "page",
                "in": "query",
                "required": False,
                "description": "Page number (offset pagination).",
                "schema": {"type": "integer", "minimum": 1, "default": 1},
            },
            {
                "name": "direction",
                "in": "query",
                "required": False,
                "description": "Direction of the sort keys written without '-' or '+'.",
                "schema": {"type": "string", "enum": ["ASC", "DESC"], "default": "ASC"},
            },
            {
                "name": "cursor",
                "in": "query",
                "required": False,
                "description": "next_cursor of the previous page (cursor pagination).",
                "schema": {"type": "string"},
            },
            {
                "name": "after",
                "in": "query",
                "required": False,
                "description": "Another name of cursor; it wins when both are sent.",
                "schema": {"type": "string"},
            },
            {
                "name": "pagination",
                "in": "query",
                "required": False,
                "schema": {
                    "type": "string",
                    "enum": [mode.value for mode in PaginationMode],
                    "default": listing.pagination.value,
                },
            },
            {
                "name": "total",
                "in": "query",
                "required": False,
                "description": "Also count every matching row (offset pagination).",
                "schema": {"type": "boolean", "default": False},
            },
        ]
    )
    return params


def _snake_too(listing: ListQuery) -> bool:
    aliases = listing.aliases
    return aliases is not None and any(aliases.get(f) == f for f in listing.sortable)


def _responses(
    route: CompiledRoute, schemas: Schemas, shown: Callable[[Any], Any]
) -> dict[str, Any]:
    problem = {"content": {PROBLEM_MEDIA_TYPE: {"schema": schemas.ref(Problem)}}}
    status = route.status_code
    success: dict[str, Any] = {"description": "Success"}
    if status != 204:
        result = getattr(route.plan.use_case, "result_type", None)
        success["content"] = {"application/json": {"schema": schemas.ref(shown(result))}}
    if status == 201:
        success["headers"] = {
            "Location": {"description": "URL of the created resource", "schema": {"type": "string"}}
        }
    responses: dict[str, Any] = {str(status): success}
    errors: dict[int, str] = {}
    if route.query.listing is not None or route.query.params:
        errors[400] = "Bad query string"
    if route.path_params:
        errors[404] = "Not found"
    if route.method != "GET":
        errors[409] = "Conflict with existing data"
    if route.has_body:
        errors[400] = "Malformed body or query string"
        errors[413] = "Body over the limit"
        errors[415] = "Body is not JSON"
    if route.has_body or route.path_params or route.plan.rules:
        errors[422] = "Invalid body or parameters"
    for code, text in sorted(errors.items()):
        responses[str(code)] = {"description": text, **problem}
    return responses


def install_openapi(
    app: FastAPI, schemas: Schemas, extras: list[dict[str, Any]]
) -> Callable[[], dict[str, Any]]:
    """Fill the placeholders of ``extras`` and merge the msgspec schemas into the document.

    Returns:
        The ``openapi()`` function set on ``app`` (cached after the first call).
    """
    rendered, components = schemas.render()
    for extra in extras:
        resolved = _resolve(extra, rendered)
        extra.clear()
        extra.update(resolved)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        document = get_openapi(
            title=app.title,
            version=app.version,
            openapi_version=app.openapi_version,
            description=app.description,
            routes=app.routes,
        )
        document.setdefault("components", {}).setdefault("schemas", {}).update(components)
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented override
    return openapi
