"""Endpoints and error handlers of ``rest.compat: loom_kernel`` (see :mod:`loom.rest._compat`).

A separate endpoint function, chosen when the app is built, so Loom's own format pays nothing
for this one.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response

from loom.core.bootstrap import Kernel
from loom.core.errors import FieldError, LoomError, NotFoundError, ValidationError
from loom.core.trace import current_trace_id
from loom.rest._casing import CamelCase
from loom.rest._compat import PATH_PREFIX, error_body, plain_body, request_error_body
from loom.rest._compile import CompiledRoute
from loom.rest._query import RouteQuery, parse_query
from loom.rest.fastapi._endpoint import CamelBody, Endpoint, read_only_fields
from loom.rest.fastapi._handlers import allowed_methods, http_exception
from loom.rest.fastapi._middleware import ROUTE_KEY
from loom.rest.fastapi._responses import JSON, error_headers, error_response, result_response

_TRUE, _FALSE = b"true", b"false"


def compat_endpoint(
    route: CompiledRoute, kernel: Kernel, *, body_limit: int, casing: CamelCase
) -> Endpoint:
    """The endpoint of ``route`` in loom-kernel 9's wire format.

    Args:
        route: The compiled route (its status is already loom-kernel's: 200 unless declared).
        kernel: Runs the use case.
        body_limit: Largest accepted body, in bytes.
        casing: The variants renaming models, commands and pages.

    Returns:
        An ``async def endpoint(request: Request) -> Response``.
    """
    use_case = route.plan.use_case
    body = CamelBody.of(route, casing, read_only_fields(route))
    encode = casing.encoder(getattr(use_case, "result_type", None))
    query_spec = route.query
    status = route.status_code
    template = route.path
    by_name = {spec.name: spec for spec in route.plan.params}
    path_specs = {name: by_name[name] for name in route.path_params if name in by_name}
    auto_delete = route.route.auto == "delete"

    async def endpoint(request: Request) -> Response:
        request.scope[ROUTE_KEY] = template
        try:
            params: dict[str, Any] = {}
            errors: list[FieldError] = []
            for name, raw in request.path_params.items():
                spec = path_specs.get(name)
                try:
                    params[name] = raw if spec is None else spec.convert(raw)
                except ValidationError as exc:
                    errors.extend(FieldError(PATH_PREFIX + e.field, e.message) for e in exc.errors)
            if errors:
                content = request_error_body(errors, current_trace_id.get())
                return Response(content=content, status_code=422, media_type=JSON)
            query, query_params = parse_query(request.query_params.multi_items(), query_spec)
            params = {**route.defaults, **query_params, **params}
            command = await body.read(request, body_limit, typed=False) if body.reads else None
            try:
                result = await kernel.execute(use_case, params, command, query=query)
            except NotFoundError:
                if not auto_delete:
                    raise
                return Response(content=_FALSE, status_code=status, media_type=JSON)
        except LoomError as exc:
            return compat_error(exc, request, query_spec)
        if auto_delete:
            return Response(content=_TRUE, status_code=status, media_type=JSON)
        return result_response(result, status, request, explicit=True, encode=encode)

    endpoint.__name__ = route.operation_id
    endpoint.__doc__ = route.route.description or use_case.__doc__
    return endpoint


def compat_error(exc: LoomError, request: Request, route: RouteQuery | None = None) -> Response:
    """loom-kernel's error response to ``exc``, or Loom's problem where loom-kernel had none."""
    found = error_body(exc, current_trace_id.get(), route)
    if found is None:
        return error_response(exc, request)
    status, content = found
    return Response(
        content=content, status_code=status, media_type=JSON, headers=error_headers(exc)
    )


async def _http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code in (404, 405) and isinstance(exc.detail, str):
        # No route (or no such method): loom-kernel answers FastAPI's own body.
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = allowed_methods(request) or headers.get("Allow", "")
        return Response(
            content=plain_body(exc.detail),
            status_code=exc.status_code,
            media_type=JSON,
            headers=headers,
        )
    return await http_exception(request, exc)


async def _request_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [
        FieldError(
            ".".join(str(part) for part in error.get("loc", ()) if part != "body") or "body",
            str(error.get("msg", "invalid")),
        )
        for error in exc.errors()
    ]
    content = request_error_body(errors, current_trace_id.get())
    return Response(content=content, status_code=422, media_type=JSON)


async def _loom_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoomError)
    return compat_error(exc, request)


def install_compat_handlers(app: FastAPI) -> None:
    """Answer errors raised outside endpoints (no route, dependencies) as loom-kernel does."""
    app.add_exception_handler(StarletteHTTPException, _http_exception)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(LoomError, _loom_error)
