"""Every error Loom raises, under one root.

```
LoomError                     (code "loom_error")
├── ConfigError               invalid configuration or a model/use case that cannot compile
│   └── BootError             the kernel could not start
├── DependencyError           the container cannot build something (missing, circular)
├── DomainError               what a request caused (4xx); status from the code when generic
│   ├── NotFoundError  (NotFound) an entity that does not exist
│   ├── ConflictError  (Conflict) a unique or foreign-key constraint said no
│   ├── ValidationError       input that does not fit (fields, filters, cursors, rules)
│   │   ├── QueryError        a query spec or query string the model cannot answer
│   │   ├── CursorError       a cursor that is tampered, foreign or expired
│   │   └── RuleViolationError  business rules that failed (RuleViolation, RuleViolations)
│   ├── UnauthenticatedError  no verified caller (401)
│   │   └── InsufficientAuthenticationError  authenticated, not strongly enough (401)
│   ├── ForbiddenError        the caller may not (403)
│   └── RateLimitedError      the caller must wait (429)
├── TransactionError          a propagation or read-only contract was broken
├── UnavailableError          a server (database, cache, broker) does not answer
├── CacheError                the cache misbehaved (never reaches a caller: reads degrade)
├── JobError                  a job could not be dispatched or run
│   └── JobTimeoutError       an attempt ran past the job's timeout
└── InternalError  (SystemError) a failure of the server itself (500)
```

The names in parentheses are loom-kernel's spellings of the same classes, with its constructor
signatures (``NotFound("User", id=42)``, ``RuleViolation("email", "taken")``).

This module imports only the standard library.
"""

from loom.core.errors._access import (
    Forbidden,
    ForbiddenError,
    InsufficientAuthentication,
    InsufficientAuthenticationError,
    RateLimited,
    RateLimitedError,
    Unauthenticated,
    UnauthenticatedError,
)
from loom.core.errors._errors import (
    BootError,
    CacheError,
    ConfigError,
    Conflict,
    ConflictError,
    CursorError,
    DependencyError,
    DomainError,
    FieldError,
    InternalError,
    JobError,
    JobTimeoutError,
    LoomError,
    NotFound,
    NotFoundError,
    QueryError,
    RuleViolation,
    RuleViolationError,
    RuleViolations,
    TransactionError,
    UnavailableError,
    ValidationError,
)

# loom-kernel's name; it shadows the builtin only for code that imports it from here.
SystemError = InternalError

__all__ = [
    "BootError",
    "CacheError",
    "ConfigError",
    "Conflict",
    "ConflictError",
    "CursorError",
    "DependencyError",
    "DomainError",
    "FieldError",
    "Forbidden",
    "ForbiddenError",
    "InsufficientAuthentication",
    "InsufficientAuthenticationError",
    "InternalError",
    "JobError",
    "JobTimeoutError",
    "LoomError",
    "NotFound",
    "NotFoundError",
    "QueryError",
    "RateLimited",
    "RateLimitedError",
    "RuleViolation",
    "RuleViolationError",
    "RuleViolations",
    "SystemError",
    "TransactionError",
    "Unauthenticated",
    "UnauthenticatedError",
    "UnavailableError",
    "ValidationError",
]
