"""RFC 9457 problem documents, built from Loom errors; framework-neutral.

Every error answer of the REST layer is one :class:`Problem` encoded as
``application/problem+json``: ``type``, ``title``, ``status``, ``detail``, plus ``code``,
``trace_id`` and, for validation problems, ``errors`` (``[{field, message}]``, the first 20,
with ``more_errors`` counting the rest). Imports msgspec, the standard library and
``loom.core`` only.
"""

from __future__ import annotations

import http
from collections.abc import Sequence

import msgspec

from loom.core.command import ROOT_FIELD
from loom.core.errors import FieldError, LoomError, UnavailableError, ValidationError
from loom.core.errors._errors import MAX_LISTED_ERRORS

PROBLEM_MEDIA_TYPE = "application/problem+json"
"""The media type of problem documents."""

TYPE_PREFIX = "urn:loom:problem:"
"""Problem types are ``urn:loom:problem:<code>`` (``urn:loom:problem:not_found``)."""

_SYNTAX_MESSAGES = ("malformed JSON", "expected object")


class ProblemField(msgspec.Struct, frozen=True, kw_only=True):
    """One field named by a problem.

    Attributes:
        field: Dotted field name, or the query parameter.
        message: What is wrong with it.
    """

    field: str
    message: str


class Problem(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """An RFC 9457 problem document.

    Attributes:
        type: URI of the problem type (``urn:loom:problem:<code>``).
        title: The HTTP status phrase.
        status: The HTTP status.
        detail: What went wrong and how to fix it.
        code: Stable machine-readable code.
        trace_id: The request's trace id (``x-request-id``).
        errors: Per-field problems (validation problems only), at most 20.
        more_errors: How many problems were found beyond those ``errors`` lists.
    """

    type: str
    title: str
    status: int
    detail: str
    code: str
    trace_id: str | None = None
    errors: tuple[ProblemField, ...] | None = None
    more_errors: int | None = None


def make_problem(
    status: int,
    code: str,
    detail: str,
    *,
    trace_id: str | None = None,
    errors: Sequence[FieldError] = (),
) -> Problem:
    """Build a problem document.

    Args:
        status: The HTTP status.
        code: The machine code.
        detail: The human explanation.
        trace_id: The request's trace id.
        errors: Field problems; an empty list leaves ``errors`` out. The first
            :data:`~loom.core.errors._errors.MAX_LISTED_ERRORS` (20) are listed and the rest
            counted in ``more_errors``, so the document stays small whatever the request.

    Returns:
        The problem.
    """
    try:
        title = http.HTTPStatus(status).phrase
    except ValueError:
        title = "Error"
    return Problem(
        type=TYPE_PREFIX + code,
        title=title,
        status=status,
        detail=detail,
        code=code,
        trace_id=trace_id,
        errors=tuple(
            ProblemField(field=e.field, message=e.message) for e in errors[:MAX_LISTED_ERRORS]
        )
        or None,
        more_errors=len(errors) - MAX_LISTED_ERRORS if len(errors) > MAX_LISTED_ERRORS else None,
    )


def is_body_syntax_error(exc: LoomError) -> bool:
    """Whether ``exc`` says the body is not JSON or not an object (a 400, not a 422).

    ``decode_command`` reports those on the field ``body``; a command field that happens to be
    called ``body`` is told apart by the message.
    """
    return (
        isinstance(exc, ValidationError)
        and len(exc.errors) == 1
        and exc.errors[0].field == ROOT_FIELD
        and exc.errors[0].message.startswith(_SYNTAX_MESSAGES)
    )


def problem_from_error(exc: LoomError, *, trace_id: str | None = None) -> Problem:
    """The problem document answering ``exc``.

    The status is the error's ``status`` (``NotFoundError`` 404, ``ConflictError`` 409,
    ``ValidationError`` 422, ``QueryError`` 400, ...), except that a body that is not JSON or
    not an object is a 400. Server-side errors (5xx other than ``UnavailableError``) keep their
    code but not their message: it may describe internals, and the trace id finds it in the log.

    Args:
        exc: The error.
        trace_id: The request's trace id.

    Returns:
        The problem.
    """
    status, code, detail = exc.status, exc.code, exc.message
    if is_body_syntax_error(exc):
        status, code = 400, "malformed_body"
    if status >= 500 and not isinstance(exc, UnavailableError):
        detail = "the server failed to answer; report the trace_id to the operators"
    return make_problem(status, code, detail, trace_id=trace_id, errors=exc.errors)


def encode_problem(problem: Problem) -> bytes:
    """The problem as JSON bytes."""
    return msgspec.json.encode(problem)
