"""Every error Loom raises, under one root.

```
LoomError                     (code "loom_error")
├── ConfigError               invalid configuration or a model/use case that cannot compile
│   └── BootError             the kernel could not start
├── DependencyError           the container cannot build something (missing, circular)
├── NotFoundError  (NotFound) an entity that does not exist
├── ConflictError  (Conflict) a unique or foreign-key constraint said no
├── ValidationError           input that does not fit (fields, filters, cursors, rules)
│   ├── QueryError            a query spec or query string the model cannot answer
│   ├── CursorError           a cursor that is tampered, foreign or expired
│   └── RuleViolationError    business rules that failed
├── TransactionError          a propagation or read-only contract was broken
├── UnavailableError          a server (database, cache, broker) does not answer
├── CacheError                the cache misbehaved (never reaches a caller: reads degrade)
└── JobError                  a job could not be dispatched or run
```

This module imports only the standard library.
"""

from loom.core.errors._errors import (
    BootError,
    CacheError,
    ConfigError,
    Conflict,
    ConflictError,
    CursorError,
    DependencyError,
    FieldError,
    JobError,
    LoomError,
    NotFound,
    NotFoundError,
    QueryError,
    RuleViolationError,
    TransactionError,
    UnavailableError,
    ValidationError,
)

__all__ = [
    "BootError",
    "CacheError",
    "ConfigError",
    "Conflict",
    "ConflictError",
    "CursorError",
    "DependencyError",
    "FieldError",
    "JobError",
    "LoomError",
    "NotFound",
    "NotFoundError",
    "QueryError",
    "RuleViolationError",
    "TransactionError",
    "UnavailableError",
    "ValidationError",
]
