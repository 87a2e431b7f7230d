"""One endpoint per compiled route: query string, path, body -> ``kernel.execute`` -> bytes.

The body is read as raw bytes and decoded by msgspec into the command inside the use case's
plan; no pydantic model is declared, so FastAPI neither parses nor validates it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
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
    defaults = route.defaults
    status = route.status_code
    explicit = route.route.status_code is not None
    template = route.path
    read_only = read_only_fields(route)
    if casing is not None:
        return _camel_endpoint(route, kernel, body_limit, casing, read_only)

    async def endpoint(request: Request) -> Response:
        request.scope[ROUTE_KEY] = template
        try:
            query, params = parse_query(request.query_params.multi_items(), query_spec)
            if defaults:
                params = {**defaults, **params}
            params.update(request.path_params)
            payload = None
            if command_type is not None:
                payload = await read_body(request, body_limit)
            try:
                result = await kernel.execute(use_case, params, payload, query=query)
            except ValidationError as exc:
                raise every_field(exc, command_type, payload, read_only) from exc.__cause__
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
    body = CamelBody.of(route, casing, declared_read_only)
    encode = casing.encoder(getattr(use_case, "result_type", None))
    query_spec = route.query
    defaults = route.defaults
    status = route.status_code
    explicit = route.route.status_code is not None
    template = route.path
    path_params = frozenset(route.path_params)

    async def endpoint(request: Request) -> Response:
        request.scope[ROUTE_KEY] = template
        try:
            query, params = parse_query(request.query_params.multi_items(), query_spec)
            if defaults:
                params = {**defaults, **params}
            params.update(request.path_params)
            command = await body.read(request, body_limit) if body.reads else None
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


@dataclass(frozen=True, slots=True)
class CamelBody:
    """How a camelCase route reads its command: snake_case keys rewritten, then the variant.

    Attributes:
        body_type: The command's camelCase variant, which names the fields of a 422.
        decode: ``decode(body) -> command``.
        rewrite: Spells snake_case keys in camelCase (``None``: no field has two spellings).
        read_only: Server-set fields, under both spellings, reported as read-only.
    """

    body_type: type[Any] | None
    decode: Callable[[bytes | None], Any] | None
    rewrite: Callable[[bytes], bytes] | None
    read_only: frozenset[str]

    @classmethod
    def of(
        cls, route: CompiledRoute, casing: CamelCase, declared_read_only: frozenset[str]
    ) -> CamelBody:
        """The body reader of ``route``, built once when the app is created."""
        command_type = route.plan.command_type
        if command_type is None:
            return cls(None, None, None, frozenset())
        read_only = declared_read_only | {casing.name(name) for name in declared_read_only}
        return cls(
            casing.variant(command_type),
            casing.decoder(command_type),
            casing.input_keys(command_type),
            read_only,
        )

    @property
    def reads(self) -> bool:
        """Whether the route reads a command (``decode`` is ``None`` when it does not)."""
        return self.decode is not None

    async def read(self, request: Request, limit: int, *, typed: bool = True) -> Any:
        """The command of ``request`` (see :func:`read_body` for ``typed``).

        Raises:
            LoomError: The body's problems, every field named.
        """
        assert self.decode is not None
        payload = await read_body(request, limit, typed=typed)
        if self.rewrite is not None and payload is not None:
            payload = self.rewrite(payload)
        try:
            return self.decode(payload)
        except ValidationError as exc:
            raise every_field(exc, self.body_type, payload, self.read_only) from exc.__cause__


async def read_body(request: Request, limit: int, *, typed: bool = True) -> bytes | None:
    """The request body, checked: media type, size, a JSON object; ``None`` when empty.

    Args:
        request: The request.
        limit: Largest accepted body, in bytes.
        typed: Refuse a body without ``Content-Type``; ``False`` reads it as JSON (as
            loom-kernel 9 does).
    """
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
    if content_type is None and typed:
        check_media_type(None, has_body=True)
    check_depth(body)
    check_object(body)
    return body


def every_field(
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


def read_only_fields(route: CompiledRoute) -> frozenset[str]:
    model = route.plan.model
    if model is None:
        return frozenset()
    info = model_info(model)
    return frozenset(name for name in info.columns if name not in info.writable())
