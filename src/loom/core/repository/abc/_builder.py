"""The port through which the kernel obtains a model's default repository."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from loom.core.repository.abc._protocols import RepoFor


@runtime_checkable
class DefaultRepositoryBuilder(Protocol):
    """Builds the repository a model gets when it has no custom one."""

    def build(self, model: type[Any]) -> RepoFor[Any]:
        """Return a repository for ``model``."""
        ...
