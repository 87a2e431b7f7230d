"""``ErrorCode``: the machine codes of the errors applications raise, as an enum.

``ErrorCode`` is a ``StrEnum``, so ``error.code == ErrorCode.NOT_FOUND`` and
``error.code == "not_found"`` are the same test. Imports only the standard library.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    """Codes whose HTTP status is fixed (``DomainError("...", code=ErrorCode.CONFLICT)`` is 409).

    Loom's own errors use ``not_found``, ``conflict``, ``rule_violation``, ``validation_error``,
    ``invalid_query`` and ``unavailable``; the other members are the codes loom-kernel
    applications raise, answered with the same statuses.
    """

    NOT_FOUND = "not_found"
    UNAUTHENTICATED = "unauthenticated"
    INSUFFICIENT_AUTHENTICATION = "insufficient_authentication"
    FORBIDDEN = "forbidden"
    CONFLICT = "conflict"
    RULE_VIOLATION = "rule_violation"
    RULE_VIOLATIONS = "rule_violations"
    BOUNDARY_VALIDATION = "boundary_validation"
    QUERY_VALIDATION = "query_validation"
    UNSUPPORTED_FORMAT = "unsupported_format"
    UNSUPPORTED_QUERY = "unsupported_query"
    RATE_LIMITED = "rate_limited"
    SYSTEM_ERROR = "system_error"
    SERVICE_UNAVAILABLE = "service_unavailable"
    POST_COMMIT_FAILURE = "post_commit_failure"
    VALIDATION_ERROR = "validation_error"
    INVALID_QUERY = "invalid_query"
    UNAVAILABLE = "unavailable"
