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


def repository_keys(model: type[Any]) -> list[Any]:
    """Container keys of a model's repository: ``RepoFor[Model]``, its class, its contract.

    A custom repository is declared with ``repository_for(Model, contract=Protocol)``, which
    records the class and the contract (or, without one, its protocol bases) on the model.
    """
    keys: list[Any] = [RepoFor[model]]  # type: ignore[valid-type]
    custom = model.__dict__.get("__loom_repository__")
    if custom is not None:
        keys.append(custom)
        registration = model.__dict__.get("__loom_repository_registration__")
        contracts = getattr(registration, "contracts", ())
        keys.extend(contract for contract in contracts if contract not in keys)
    return keys
