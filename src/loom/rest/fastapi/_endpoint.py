"""One endpoint per compiled route: query string, path, body -> ``kernel.execute`` -> bytes.

The body is read as raw bytes and decoded by msgspec into the command inside the use case's
plan; no pydantic model is declared, so FastAPI neither parses nor validates it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from loom.core.bootstrap import Kernel
from loom.core.command import ROOT_FIELD
from loom.core.errors import FieldError, LoomError, ValidationError
from loom.core.model import model_info
from loom.rest._body import (
    check_declared_length,
    check_depth,
    check_media_type,
    check_object,
    field_errors,
    too_large,
)
from loom.rest._casing import CamelCase
from loom.rest._compile import CompiledRoute
from loom.rest._errors import MalformedBodyError
from loom.rest._query import parse_query
from loom.rest.fastapi._middleware import ROUTE_KEY
from loom.rest.fastapi._responses import error_response, result_response

Endpoint = Callable[[Request], Awaitable[Response]]


def make_endpoint(
    route: CompiledRoute, kernel: Kernel, *, body_limit: int, casing: CamelCase | None = None
) -> Endpoint:
    """The endpoint function of ``route``.

    Args:
        route: The compiled route.
        kernel: Runs the use case.
        body_limit: Largest accepted body, in bytes.
        casing: The camelCase variants when JSON field names are camelCase; ``None`` reads
            and writes the declared names.

    Returns:
        An ``async def endpoint(request: Request) -> Response``.
    """
    use_case = route.plan.use_case
    command_type = route.plan.command_type
    query_spec = route.query
    status = route.status_code
    explicit = route.route.status_code is not None
    template = route.path
    read_only = _read_only_fields(route)
    if casing is not None:
        return _camel_endpoint(route, kernel, body_limit, casing, read_only)

    async def endpoint(request: Request) -> Response:
        request.scope[ROUTE_KEY] = template
        try:
            query, params = parse_query(request.query_params.multi_items(), query_spec)
            params.update(request.path_params)
            payload = None
            if command_type is not None:
                payload = await _read_body(request, body_limit)
            try:
                result = await kernel.execute(use_case, params, payload, query=query)
            except ValidationError as exc:
                raise _every_field(exc, command_type, payload, read_only) from exc.__cause__
        except LoomError as exc:
            return error_response(exc, request)
        return result_response(result, status, request, explicit=explicit)

    endpoint.__name__ = route.operation_id
    endpoint.__doc__ = route.route.description or use_case.__doc__
    return endpoint


def _camel_endpoint(
    route: CompiledRoute,
    kernel: Kernel,
    body_limit: int,
    casing: CamelCase,
    declared_read_only: frozenset[str],
) -> Endpoint:
    # A separate function, so the default (snake_case) endpoint does not test for casing.
    use_case = route.plan.use_case
    command_type = route.plan.command_type
    body_type = casing.variant(command_type) if command_type is not None else None
    decode = casing.decoder(command_type) if command_type is not None else None
    encode = casing.encoder(getattr(use_case, "result_type", None))
    query_spec = route.query
    status = route.status_code
    explicit = route.route.status_code is not None
    template = route.path
    read_only = frozenset(casing.name(name) for name in declared_read_only)
    path_params = frozenset(route.path_params)

    async def endpoint(request: Request) -> Response:
        request.scope[ROUTE_KEY] = template
        try:
            query, params = parse_query(request.query_params.multi_items(), query_spec)
            params.update(request.path_params)
            payload = command = None
            if decode is not None:
                payload = await _read_body(request, body_limit)
                try:
                    command = decode(payload)
                except ValidationError as exc:
                    raise _every_field(exc, body_type, payload, read_only) from exc.__cause__
            try:
                result = await kernel.execute(use_case, params, command, query=query)
            except ValidationError as exc:
                # Rules and repositories name the declared (snake_case) fields.
                raise casing.error(exc, keep=path_params) from exc.__cause__
        except LoomError as exc:
            return error_response(exc, request)
        return result_response(result, status, request, explicit=explicit, encode=encode)

    endpoint.__name__ = route.operation_id
    endpoint.__doc__ = route.route.description or use_case.__doc__
    return endpoint


async def _read_body(request: Request, limit: int) -> bytes | None:
    headers = request.headers
    content_type = headers.get("content-type")
    if content_type is not None:
        check_media_type(content_type, has_body=True)
    check_declared_length(headers.get("content-length"), limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            # The declared length lied or was absent (chunked): stop reading at the limit.
            raise too_large(limit)
        chunks.append(chunk)
    body = b"".join(chunks)
    if not body:
        if content_type is not None:
            # A JSON request with nothing in it is broken JSON, not an empty command.
            raise MalformedBodyError(
                "the body is empty; send a JSON object",
                errors=[FieldError(ROOT_FIELD, "malformed JSON: the body is empty")],
            )
        return None
    if content_type is None:
        check_media_type(None, has_body=True)
    check_depth(body)
    check_object(body)
    return body


def _every_field(
    exc: ValidationError,
    command_type: type[Any] | None,
    payload: bytes | None,
    read_only: frozenset[str],
) -> ValidationError:
    # msgspec names the first problem only; a rejected body is re-read to name them all.
    if command_type is None or payload is None:
        return exc
    from_decoder = isinstance(exc.__cause__, msgspec.ValidationError)
    if not from_decoder or exc.message != f"invalid {command_type.__name__}":
        return exc
    errors = field_errors(command_type, payload, read_only=read_only)
    if not errors:
        return exc
    return ValidationError(exc.message, code=exc.code, errors=errors)


def _read_only_fields(route: CompiledRoute) -> frozenset[str]:
    model = route.plan.model
    if model is None:
        return frozenset()
    info = model_info(model)
    return frozenset(name for name in info.columns if name not in info.writable())
