"""Responses: problem documents and use-case results, encoded by msgspec straight to bytes."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from loom.core.errors import LoomError
from loom.core.model import ModelInfo, model_info
from loom.core.trace import current_trace_id
from loom.core.use_case import Created
from loom.rest._problem import (
    PROBLEM_MEDIA_TYPE,
    Problem,
    encode_problem,
    make_problem,
    problem_from_error,
)

logger = logging.getLogger("loom.rest")

JSON = "application/json"


def problem_response(problem: Problem, headers: Mapping[str, str] | None = None) -> Response:
    """A problem document as a response."""
    return Response(
        content=encode_problem(problem),
        status_code=problem.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=dict(headers) if headers else None,
    )


def error_response(exc: LoomError, request: Request | None = None) -> Response:
    """The problem response of a Loom error; server-side errors are logged with their trace."""
    trace_id = current_trace_id.get()
    problem = problem_from_error(exc, trace_id=trace_id)
    if problem.status >= 500:
        where = f"{request.method} {request.url.path}" if request is not None else "request"
        logger.error(
            "%s failed with %s (trace_id=%s): %s",
            where,
            type(exc).__name__,
            trace_id,
            exc,
            exc_info=exc,
        )
    return problem_response(problem, error_headers(exc))


def error_headers(exc: LoomError) -> dict[str, str] | None:
    """Headers an error's status calls for: ``Retry-After`` (429, 503), a 401's challenge."""
    headers: dict[str, str] = {}
    retry_after = getattr(exc, "retry_after", None)
    if isinstance(retry_after, int | float) and not isinstance(retry_after, bool):
        headers["Retry-After"] = str(max(1, math.ceil(retry_after)))
    if exc.status == 401:
        # RFC 9110 11.6.1: a 401 names the scheme the client should use.
        headers["WWW-Authenticate"] = "Bearer"
    return headers or None


def crash_problem() -> Problem:
    """The problem of an unexpected exception: no message, no traceback, just the trace id."""
    return make_problem(
        500,
        "internal_error",
        "the server failed to answer; report the trace_id to the operators",
        trace_id=current_trace_id.get(),
    )


def result_response(
    result: Any,
    status: int,
    request: Request,
    *,
    explicit: bool,
    encode: Callable[[Any], bytes] = msgspec.json.encode,
) -> Response:
    """The response of a use case's result.

    ``None`` is an empty answer (204 unless the route set a status); anything else is JSON. A
    201 whose result has a primary key carries ``Location``: the request path and the key.
    ``Created(value, location=...)`` is a 201 with ``value`` as the body, whatever the route's
    status, and its own ``Location`` when it gives one.

    Args:
        result: What ``execute`` returned.
        status: The route's status.
        request: The request (for ``Location``).
        explicit: Whether the route declared its status.
        encode: Writes the result as JSON (the route's camelCase encoder, or msgspec's).
    """
    if result is None and (status == 204 or not explicit):
        return Response(status_code=204)
    if isinstance(result, Created):
        response = Response(content=encode(result.value), status_code=201, media_type=JSON)
        location = result.location or _location(request, result.value)
        if location is not None:
            response.headers["location"] = location
        return response
    response = Response(content=encode(result), status_code=status, media_type=JSON)
    if status == 201:
        location = _location(request, result)
        if location is not None:
            response.headers["location"] = location
    return response


def _location(request: Request, result: Any) -> str | None:
    key = _key_of(result)
    if key is None:
        return None
    return f"{request.url.path.rstrip('/')}/{quote(str(key), safe='')}"


def _key_of(result: Any) -> Any:
    info = _info(type(result))
    if info is None or len(info.primary_key) != 1:
        return None
    return getattr(result, info.primary_key[0], None)


def _info(cls: type[Any]) -> ModelInfo | None:
    if getattr(cls, "__loom_fields__", None) is None:
        return None
    try:
        return model_info(cls)
    except LoomError:
        return None
