"""Exception handlers: FastAPI's and Starlette's own errors answered as problem documents.

Route-not-found (404), method-not-allowed (405), ``HTTPException`` raised by user dependencies
and pydantic validation of dependency parameters all become ``application/problem+json``.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match

from loom.core.errors import FieldError, LoomError
from loom.core.trace import current_trace_id
from loom.rest._problem import make_problem
from loom.rest.fastapi._responses import error_response, problem_response

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
}


async def http_exception(request: Request, exc: Exception) -> Response:
    """A Starlette/FastAPI ``HTTPException`` as a problem (headers such as ``Allow`` kept)."""
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    detail = str(exc.detail)
    if status == 404 and detail == "Not Found":
        detail = f"no route matches {request.method} {request.url.path}; see the API docs"
    headers = dict(exc.headers or {})
    if status == 405:
        # Starlette names the methods of the first matching route only; one path here is served
        # by one route per method, so gather them all.
        allowed = allowed_methods(request) or headers.get("Allow", "")
        headers["Allow"] = allowed
        if detail == "Method Not Allowed":
            detail = f"{request.method} is not allowed on {request.url.path}; allowed: {allowed}"
    code = _CODES.get(status, "http_error" if status < 500 else "internal_error")
    problem = make_problem(status, code, detail, trace_id=current_trace_id.get())
    if status in (204, 304):
        return Response(status_code=status, headers=headers)
    return problem_response(problem, headers)


def allowed_methods(request: Request) -> str:
    """The methods some route serves on the request's path, for ``Allow``."""
    methods: list[str] = []
    for route in request.app.router.routes:
        match, _ = route.matches({**request.scope, "method": "\x00"})
        if match is not Match.NONE:
            methods.extend(sorted(getattr(route, "methods", None) or ()))
    return ", ".join(dict.fromkeys(methods))


async def request_validation(request: Request, exc: Exception) -> Response:
    """Pydantic validation of dependency parameters (user auth headers, ...) as a 422."""
    assert isinstance(exc, RequestValidationError)
    errors = [
        FieldError(
            ".".join(str(part) for part in error.get("loc", ())) or "request",
            str(error.get("msg", "invalid")),
        )
        for error in exc.errors()
    ]
    problem = make_problem(
        422,
        "validation_error",
        "the request does not fit what the route expects",
        trace_id=current_trace_id.get(),
        errors=errors,
    )
    return problem_response(problem)


async def loom_error(request: Request, exc: Exception) -> Response:
    """A Loom error raised outside an endpoint (a dependency, a middleware) as a problem."""
    assert isinstance(exc, LoomError)
    return error_response(exc, request)


def install_handlers(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(StarletteHTTPException, http_exception)
    app.add_exception_handler(RequestValidationError, request_validation)
    app.add_exception_handler(LoomError, loom_error)
