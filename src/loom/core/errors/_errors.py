"""The error classes; see the package docstring for the tree."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

MAX_LISTED_ERRORS = 20
"""How many field errors an error's text and a problem document list; the rest are counted."""

NUL_MESSAGE = "text may not contain the NUL character (\\u0000); remove it"
"""Why a string holding the NUL character is refused: PostgreSQL stores it in no text or JSON
value, so every backend refuses it alike."""


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with one input field.

    Attributes:
        field: Dotted name of the field (``"price_cents"``, ``"filters.0.value"``).
        message: What is wrong and, where it helps, how to fix it.
    """

    field: str
    message: str


def join_messages(errors: Sequence[FieldError], *, limit: int = 3) -> str:
    """The messages of the first ``limit`` errors joined with ``"; "``, then how many more.

    A request may carry thousands of problems (a thousand sort keys, hundreds of unknown
    parameters); the text that sums them up stays short however many there are.

    Args:
        errors: The field errors, in the order found.
        limit: How many messages to write out.

    Returns:
        ``"first; second; third; and 997 more"`` (no tail when nothing is left out).
    """
    shown = "; ".join(e.message for e in errors[:limit])
    left = len(errors) - limit
    return f"{shown}; and {left} more" if left > 0 else shown


class LoomError(Exception):
    """Root of every error Loom raises.

    Attributes:
        code: Stable machine-readable code (``"not_found"``, ``"conflict"``, ...).
        status: The HTTP status the REST layer answers with.
        message: Human-readable explanation naming the thing, the value and the fix.
        errors: Per-field problems, for validation errors.
    """

    code: str = "loom_error"
    status: int = 500

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        errors: Sequence[FieldError] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.errors: tuple[FieldError, ...] = tuple(errors)

    def __str__(self) -> str:
        if not self.errors:
            return self.message
        details = join_messages(
            [FieldError(e.field, f"{e.field}: {e.message}") for e in self.errors],
            limit=MAX_LISTED_ERRORS,
        )
        return f"{self.message} ({details})"


class ConfigError(LoomError):
    """Configuration, a model, a use case or a route that cannot be used as declared."""

    code = "config_error"


class BootError(ConfigError):
    """The kernel could not start."""

    code = "boot_error"


class DependencyError(LoomError):
    """The container cannot build a dependency (missing registration, circular chain)."""

    code = "dependency_error"


class NotFoundError(LoomError):
    """An entity that does not exist."""

    code = "not_found"
    status = 404


class ConflictError(LoomError):
    """A write refused by a constraint: a unique value taken, a row still referenced."""

    code = "conflict"
    status = 409

    def __init__(
        self,
        message: str,
        *,
        constraint: str | None = None,
        fields: Sequence[str] = (),
        code: str | None = None,
        errors: Sequence[FieldError] = (),
    ) -> None:
        super().__init__(message, code=code, errors=errors)
        self.constraint = constraint
        self.fields = tuple(fields)


class ValidationError(LoomError):
    """Input that does not fit the declared shape."""

    code = "validation_error"
    status = 422


class QueryError(ValidationError):
    """A query (filters, sort, pagination) the model cannot answer."""

    code = "invalid_query"
    status = 400


class CursorError(QueryError):
    """A cursor that was tampered with, belongs to another query, or expired."""

    code = "invalid_cursor"


class RuleViolationError(ValidationError):
    """One or more business rules failed; ``errors`` holds one entry per violation."""

    code = "rule_violation"


class TransactionError(LoomError):
    """A transaction contract was broken (``MANDATORY`` without one, a write when read-only)."""

    code = "transaction_error"


class UnavailableError(LoomError):
    """A server Loom depends on does not answer."""

    code = "unavailable"
    status = 503


class CacheError(LoomError):
    """The cache misbehaved. Reads degrade to the database instead of raising this."""

    code = "cache_error"


class JobError(LoomError):
    """A job could not be dispatched or run."""

    code = "job_error"


# Aliases for code written against the documented system.
NotFound = NotFoundError
Conflict = ConflictError
