"""The error classes; see the package docstring for the tree."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, overload


class _NoId:
    """The ``id`` of a ``NotFoundError`` that was given none (``None`` is a valid id)."""

    def __repr__(self) -> str:
        return "NO_ID"


NO_ID: Any = _NoId()

STATUS_OF_CODE: dict[str, int] = {
    "not_found": 404,
    "unauthenticated": 401,
    "insufficient_authentication": 401,
    "forbidden": 403,
    "conflict": 409,
    "rule_violation": 422,
    "rule_violations": 422,
    "boundary_validation": 422,
    "validation_error": 422,
    "query_validation": 400,
    "unsupported_format": 400,
    "unsupported_query": 400,
    "invalid_query": 400,
    "rate_limited": 429,
    "unavailable": 503,
    "service_unavailable": 503,
}
"""The HTTP status of each well-known error code (Loom's and loom-kernel's)."""


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with one input field.

    Attributes:
        field: Dotted name of the field (``"price_cents"``, ``"filters.0.value"``).
        message: What is wrong and, where it helps, how to fix it.
    """

    field: str
    message: str


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
            # A generic error raised with a well-known code (`DomainError("...",
            # code="not_found")`, as loom-kernel code does) answers with that code's status.
            if type(self).status == LoomError.status and code in STATUS_OF_CODE:
                self.status = STATUS_OF_CODE[code]
        self.errors: tuple[FieldError, ...] = tuple(errors)

    def __str__(self) -> str:
        if not self.errors:
            return self.message
        details = "; ".join(f"{e.field}: {e.message}" for e in self.errors)
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


class DomainError(LoomError):
    """Base of the errors a request causes (4xx): business refusals rather than failures.

    ``DomainError("...", code="not_found")`` answers with the status of its code, as in
    loom-kernel; subclasses have their own status.
    """


class NotFoundError(DomainError):
    """An entity that does not exist.

    Both spellings work: ``NotFoundError("Product 42 not found")`` and loom-kernel's
    ``NotFound("Product", id=42)`` (message ``"Product with id=42 not found"``).

    Attributes:
        entity: The entity's name, when known.
        id: The key that matched nothing, when known.
    """

    code = "not_found"
    status = 404

    def __init__(
        self,
        message: str,
        *,
        id: Any = NO_ID,  # loom-kernel's keyword, although it shadows the builtin
        entity: str | None = None,
        code: str | None = None,
        errors: Sequence[FieldError] = (),
    ) -> None:
        if id is not NO_ID and entity is None:
            # loom-kernel's signature: the first argument names the entity.
            entity, message = message, f"{message} with id={id!r} not found"
        super().__init__(message, code=code, errors=errors)
        self.entity = entity
        self.id = None if id is NO_ID else id


class ConflictError(DomainError):
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


class ValidationError(DomainError):
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
    """One or more business rules failed; ``errors`` holds one entry per violation.

    Three spellings build it: Loom's ``RuleViolationError(message, errors=[...])``, and
    loom-kernel's ``RuleViolation(field, message)`` (one violation) and
    ``RuleViolations([violation, ...])`` (several).

    Attributes:
        field: The field of the first violation (``None`` when there is none).
    """

    code = "rule_violation"

    @overload
    def __init__(
        self, message: str, *, code: str | None = None, errors: Sequence[FieldError] = ()
    ) -> None: ...

    @overload
    def __init__(self, message: str, detail: str, /) -> None: ...

    @overload
    def __init__(self, message: Sequence[RuleViolationError], /) -> None: ...

    def __init__(
        self,
        message: str | Sequence[RuleViolationError],
        detail: str | None = None,
        *,
        code: str | None = None,
        errors: Sequence[FieldError] = (),
    ) -> None:
        self._form = "loom"
        if not isinstance(message, str):
            errors = [error for violation in message for error in violation.errors]
            text = "; ".join(f"{e.field}: {e.message}" for e in errors)
            super().__init__(text, code=code, errors=errors)
            self._form = "violations"
        elif detail is not None:
            # loom-kernel's RuleViolation(field, message): `message` is the violation alone.
            super().__init__(detail, code=code, errors=[FieldError(message, detail)])
            self._form = "violation"
        else:
            super().__init__(message, code=code, errors=errors)
        self.field: str | None = self.errors[0].field if self.errors else None

    @property
    def violations(self) -> tuple[RuleViolationError, ...]:
        """One single-violation error per entry of ``errors`` (loom-kernel's ``violations``)."""
        if self._form == "violation":
            return (self,)
        return tuple(RuleViolationError(e.field, e.message) for e in self.errors)

    def __str__(self) -> str:
        if self._form == "violation":
            return f"{self.field}: {self.message}"
        if self._form == "violations":
            return self.message  # it lists every violation already
        return super().__str__()


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


class JobTimeoutError(JobError):
    """An attempt of a job ran longer than its ``__timeout__`` (``jobs.<Name>.timeout``).

    Attributes:
        job_id: The job's id.
        timeout: The limit, in seconds.
    """

    code = "job_timeout"

    def __init__(self, job_id: str, timeout: float | None = None) -> None:
        limit = f" after {timeout:g}s" if timeout is not None else ""
        super().__init__(f"job {job_id!r} timed out{limit}")
        self.job_id = job_id
        self.timeout = timeout


class InternalError(LoomError):
    """A failure of the server itself (loom-kernel's ``SystemError``): 500, message kept private."""

    code = "system_error"

    def __init__(
        self, message: str, *, code: str | None = None, errors: Sequence[FieldError] = ()
    ) -> None:
        super().__init__(message, code=code, errors=errors)


# Aliases for code written against the documented system.
NotFound = NotFoundError
Conflict = ConflictError
RuleViolation = RuleViolationError
RuleViolations = RuleViolationError
