"""Repositories: the capability protocols (``abc``), their registration, and the SQLAlchemy
adapter (``sqlalchemy``, imported only where it is named).

The names here are those applications import from ``loom.core.repository``; this package
imports no database library.
"""

from loom.core.events import MutationEvent
from loom.core.query import FilterParams, PageParams, PageResult
from loom.core.repository._registry import (
    RepositoryBuildContext,
    RepositoryBuilder,
    RepositoryRegistration,
    get_repository_registration,
    repository_for,
)
from loom.core.repository.abc import (
    DefaultRepositoryBuilder,
    RepoFor,
    Repository,
    RepositoryRead,
    RepositoryWrite,
)

__all__ = [
    "DefaultRepositoryBuilder",
    "FilterParams",
    "MutationEvent",
    "PageParams",
    "PageResult",
    "RepoFor",
    "Repository",
    "RepositoryBuildContext",
    "RepositoryBuilder",
    "RepositoryRead",
    "RepositoryRegistration",
    "RepositoryWrite",
    "get_repository_registration",
    "repository_for",
]
