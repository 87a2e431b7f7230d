"""``repository_for``: declare the repository class a model's use cases get."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from loom.core.errors import ConfigError

R = TypeVar("R", bound=type[Any])


def repository_for(model: type[Any], *, contract: type[Any] | None = None) -> Callable[[R], R]:
    """Register a custom repository class for ``model``.

    The registration hangs off the model class (``__loom_repository__``), not a global: the
    kernel builds this class for the model, and standard CRUD use cases get it as
    ``main_repo``. With ``contract``, the container also resolves the repository by that
    protocol.

    Args:
        model: The Struct model the repository serves.
        contract: A protocol (usually extending ``RepoFor[Model]``) to register it under.

    Returns:
        A class decorator.
    """

    def decorate(cls: R) -> R:
        existing = model.__dict__.get("__loom_repository__")
        if existing is not None and existing is not cls:
            raise ConfigError(
                f"{model.__name__} already has repository {existing.__name__}; "
                f"{cls.__name__} cannot also be registered with repository_for"
            )
        type.__setattr__(model, "__loom_repository__", cls)
        type.__setattr__(model, "__loom_repository_contract__", contract)
        cls.__loom_model__ = model
        cls.__loom_contract__ = contract
        return cls

    return decorate
