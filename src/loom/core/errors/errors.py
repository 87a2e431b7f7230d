"""loom-kernel's module path of the error classes; the same classes as ``loom.core.errors``."""

from loom.core.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InsufficientAuthentication,
    LoomError,
    NotFound,
    RateLimited,
    RuleViolation,
    RuleViolations,
    SystemError,
    Unauthenticated,
)

__all__ = [
    "Conflict",
    "DomainError",
    "Forbidden",
    "InsufficientAuthentication",
    "LoomError",
    "NotFound",
    "RateLimited",
    "RuleViolation",
    "RuleViolations",
    "SystemError",
    "Unauthenticated",
]
