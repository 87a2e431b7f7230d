"""loom-kernel 9's wire format (``rest.compat: loom_kernel``), decided when routes compile.

What its clients see, as observed by running loom-kernel 9: models, commands and pages in
camelCase (other Structs keep their declared names), every route answering its status (200
unless declared) with a JSON body, ``null`` included, an auto-CRUD delete answering ``true`` or
``false``, and 4xx errors as ``{"detail": {"code", "message", "trace_id", ...}}``. Where
loom-kernel answered a 5xx or had no such status (401, 403, 412, 415, 428, 503, a body that is
not JSON), Loom's problem document stands. Nothing here runs unless the option is on.
Framework-neutral: imports msgspec, the standard library and ``loom.core`` only.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import msgspec

from loom.core.command import Command
from loom.core.errors import (
    ConflictError,
    CursorError,
    FieldError,
    LoomError,
    NotFoundError,
    QueryError,
    RuleViolationError,
    ValidationError,
)
from loom.core.query import CursorResult, FilterOp, PageResult
from loom.rest._problem import is_body_syntax_error
from loom.rest._query import OPERATOR_SEPARATOR, RouteQuery

LOOM_KERNEL = "loom_kernel"
"""The value of ``rest.compat`` that turns the format on."""

STATUSES = frozenset({400, 404, 405, 409, 413, 422, 429})
"""The error statuses loom-kernel 9 answers with its own body; others keep the problem."""

PATH_PREFIX = "path."
"""How loom-kernel names a path parameter that does not convert: ``path.<name>``."""

# Query parameters whose bad values loom-kernel reports as a plain bad request.
_BAD_REQUEST_PARAMETERS = frozenset({"limit", "page", "pagination", "direction", "profile"})
_UNSUPPORTED_PARAMETERS = frozenset({"sort", "cursor", "after", "total"})
_OPERATORS = frozenset(op.value for op in FilterOp)


class KernelViolation(msgspec.Struct, frozen=True):
    """One field problem of a loom-kernel error body."""

    field: str
    message: str


class KernelError(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """The ``detail`` of a loom-kernel error body.

    Attributes:
        code: Machine code (``not_found``, ``conflict``, ``rule_violations``,
            ``boundary_validation``, ``query_validation``, ``unsupported_query``,
            ``bad_request``, ...).
        message: What went wrong.
        trace_id: The request's trace id.
        entity: The missing entity's name (``not_found``).
        id: The key that matched nothing (``not_found``).
        violations: Field problems (validation codes).
    """

    code: str
    message: str
    trace_id: str | None = None
    entity: str | msgspec.UnsetType | None = msgspec.UNSET
    id: Any = msgspec.UNSET
    violations: tuple[KernelViolation, ...] | msgspec.UnsetType = msgspec.UNSET


class KernelErrorBody(msgspec.Struct, frozen=True):
    """A loom-kernel error body: ``{"detail": {...}}``."""

    detail: KernelError


def kernel_renames(cls: type[Any]) -> bool:
    """Whether loom-kernel 9 writes ``cls``'s fields in camelCase: models, commands, pages."""
    return getattr(cls, "__loom_fields__", None) is not None or issubclass(
        cls, (Command, PageResult, CursorResult)
    )


def error_body(
    exc: LoomError, trace_id: str | None, route: RouteQuery | None = None
) -> tuple[int, bytes] | None:
    """loom-kernel's answer to ``exc``: the status and the body, or ``None`` for the problem.

    Args:
        exc: The error.
        trace_id: The request's trace id.
        route: What the route reads from the query string, to tell an unknown filter from a
            bad filter value.

    Returns:
        ``(status, body)``, or ``None`` when Loom's problem document answers instead.
    """
    status = exc.status
    if status not in STATUSES or is_body_syntax_error(exc) or exc.code == "malformed_body":
        return None
    detail = KernelError(code=_code(exc, route), message=exc.message, trace_id=trace_id)
    if isinstance(exc, NotFoundError):
        detail = msgspec.structs.replace(
            detail, entity=getattr(exc, "entity", None), id=getattr(exc, "id", None)
        )
    violations = _violations(exc, detail.code, route)
    if violations:
        detail = msgspec.structs.replace(detail, violations=violations)
    return status, msgspec.json.encode(KernelErrorBody(detail))


def request_error_body(errors: Sequence[FieldError], trace_id: str | None) -> bytes:
    """The 422 of a request the route cannot even read (path parameters, dependency inputs).

    loom-kernel reports these under ``rule_violations``; a path parameter is named
    ``path.<name>``, as it names them.
    """
    return msgspec.json.encode(
        KernelErrorBody(
            KernelError(
                code="rule_violations",
                message="the request does not fit the route",
                trace_id=trace_id,
                violations=tuple(KernelViolation(e.field, e.message) for e in errors),
            )
        )
    )


def plain_body(status_phrase: str) -> bytes:
    """The body of a request no route serves: ``{"detail": "Not Found"}``."""
    return msgspec.json.encode({"detail": status_phrase})


def _code(exc: LoomError, route: RouteQuery | None) -> str:
    if isinstance(exc, QueryError):
        return _query_code(exc, route)
    if isinstance(exc, RuleViolationError):
        return "rule_violations"
    if isinstance(exc, NotFoundError):
        return "not_found"
    if isinstance(exc, ConflictError):
        return "conflict"
    if isinstance(exc, ValidationError) and exc.code == ValidationError.code:
        return "boundary_validation"
    return exc.code


def _query_code(exc: QueryError, route: RouteQuery | None) -> str:
    if isinstance(exc, CursorError):
        return "unsupported_query"
    first = exc.errors[0].field if exc.errors else ""
    if first in _BAD_REQUEST_PARAMETERS:
        return "bad_request"
    if first in _UNSUPPORTED_PARAMETERS:
        return "unsupported_query"
    if route is not None and (
        first in route.params or (route.typed is not None and first in route.typed.fields)
    ):
        return "query_validation"
    listing = route.listing if route is not None else None
    if listing is None:
        return "unsupported_query"
    field = _filter_field(first, listing.aliases, listing.info.columns, listing.filterable)
    return "query_validation" if field is not None else "unsupported_query"


def _filter_field(
    name: str,
    aliases: Any,
    columns: Collection[str],
    filterable: Collection[str],
) -> str | None:
    # A filter loom-kernel would have accepted whose value is wrong: a filterable field.
    names = columns if aliases is None else aliases
    field = name
    if name not in names:
        field, _, op = name.rpartition(OPERATOR_SEPARATOR)
        if op not in _OPERATORS:
            return None
    if field not in names:
        return None
    resolved = field if aliases is None else aliases[field]
    return resolved if resolved in filterable else None


def _violations(exc: LoomError, code: str, route: RouteQuery | None) -> tuple[KernelViolation, ...]:
    if code in ("bad_request", "unsupported_query", "not_found", "conflict"):
        return ()
    listing = route.listing if route is not None else None
    if code != "query_validation" or listing is None:
        return tuple(KernelViolation(error.field, error.message) for error in exc.errors)
    # loom-kernel names the field a filter value is for, not the query parameter.
    violations = []
    for error in exc.errors:
        field = _filter_field(
            error.field, listing.aliases, listing.info.columns, listing.filterable
        )
        violations.append(KernelViolation(field or error.field, error.message))
    return tuple(violations)


__all__ = [
    "KernelError",
    "KernelErrorBody",
    "KernelViolation",
    "LOOM_KERNEL",
    "PATH_PREFIX",
    "error_body",
    "kernel_renames",
    "plain_body",
    "request_error_body",
]
