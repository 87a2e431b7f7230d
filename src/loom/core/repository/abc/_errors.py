"""``UnsupportedQuery``: a query shape a repository's backend cannot serve (400)."""

from __future__ import annotations

from loom.core.errors import QueryError


class UnsupportedQuery(QueryError):
    """A backend cannot serve this query with these arguments (loom-kernel's name).

    Attributes:
        backend: The persistence backend.
        model: The model queried.
        reason: What the backend cannot do.
    """

    code = "unsupported_query"

    def __init__(self, backend: str, model: str, reason: str) -> None:
        super().__init__(f"{backend} cannot serve this query on {model}: {reason}")
        self.backend = backend
        self.model = model
        self.reason = reason
