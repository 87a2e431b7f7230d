"""Repository contracts: capability protocols and the query types they take.

Imports only msgspec and the standard library.
"""

from loom.core.query import (
    CursorResult,
    FilterGroup,
    FilterOp,
    FilterParams,
    FilterSpec,
    LogicalOp,
    PageParams,
    PageResult,
    PaginationMode,
    QuerySpec,
    SortDirection,
    SortSpec,
)
from loom.core.repository.abc._builder import DefaultRepositoryBuilder, repository_keys
from loom.core.repository.abc._protocols import (
    Countable,
    Creatable,
    Deletable,
    Listable,
    Readable,
    RepoFor,
    Repository,
    Updatable,
    Upsertable,
)

__all__ = [
    "Countable",
    "Creatable",
    "CursorResult",
    "DefaultRepositoryBuilder",
    "Deletable",
    "FilterGroup",
    "FilterOp",
    "FilterParams",
    "FilterSpec",
    "Listable",
    "LogicalOp",
    "PageParams",
    "PageResult",
    "PaginationMode",
    "QuerySpec",
    "Readable",
    "RepoFor",
    "Repository",
    "SortDirection",
    "SortSpec",
    "Updatable",
    "Upsertable",
    "repository_keys",
]
