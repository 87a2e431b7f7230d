"""``repository_for``: declare the repository class (or factory) a model's use cases get.

The registration hangs off the model class, never a global: two applications in one process
see the same declaration, and each kernel builds its own instance. Imports only the standard
library and ``loom.core``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from loom.core.errors import ConfigError
from loom.core.repository.abc._protocols import BUILTIN_PROTOCOLS

if TYPE_CHECKING:
    from loom.core.di import LoomContainer

R = TypeVar("R", bound=type[Any])


@dataclass(frozen=True, slots=True)
class RepositoryBuildContext:
    """What a repository ``builder`` receives.

    Attributes:
        model: The model whose repository is built.
        container: The kernel's container (``None`` outside a kernel).
    """

    model: type[Any]
    container: LoomContainer | None = None


RepositoryBuilder = Callable[[RepositoryBuildContext], Any]
"""Builds a model's repository from a :class:`RepositoryBuildContext`."""


@dataclass(frozen=True, slots=True)
class RepositoryRegistration:
    """What ``repository_for`` recorded on a model.

    Attributes:
        model: The model.
        repository_type: The repository class.
        builder: The factory that builds it (``None``: the kernel builds the class itself).
        contracts: Protocols it is also resolved by: ``contract=``, or else its protocol bases.
    """

    model: type[Any]
    repository_type: type[Any]
    builder: RepositoryBuilder | None = None
    contracts: tuple[type[Any], ...] = ()


def repository_for(
    model: type[Any],
    *,
    contract: type[Any] | None = None,
    builder: RepositoryBuilder | None = None,
) -> Callable[[R], R]:
    """Register a custom repository class for ``model``.

    The kernel builds this class for the model (with ``builder``, when given, instead), and
    standard CRUD use cases get it as ``main_repo``. The container also resolves it by
    ``contract``, or, without one, by each ``Protocol`` the class lists as a direct base (as
    loom-kernel does).

    Args:
        model: The Struct model the repository serves.
        contract: A protocol (usually extending ``RepoFor[Model]``) to register it under.
        builder: Builds the repository from a :class:`RepositoryBuildContext`.

    Returns:
        A class decorator.

    Raises:
        ConfigError: Another repository class is already registered for ``model``.
    """

    def decorate(cls: R) -> R:
        existing = model.__dict__.get("__loom_repository__")
        if existing is not None and existing is not cls:
            raise ConfigError(
                f"{model.__name__} already has repository {existing.__name__}; "
                f"{cls.__name__} cannot also be registered with repository_for"
            )
        contracts = (contract,) if contract is not None else _protocol_bases(cls)
        type.__setattr__(model, "__loom_repository__", cls)
        type.__setattr__(model, "__loom_repository_contract__", contract)
        type.__setattr__(
            model,
            "__loom_repository_registration__",
            RepositoryRegistration(model, cls, builder, contracts),
        )
        cls.__loom_model__ = model
        cls.__loom_contract__ = contract
        return cls

    return decorate


def get_repository_registration(model: type[Any]) -> RepositoryRegistration | None:
    """What ``repository_for`` recorded on ``model``, or ``None``."""
    found = model.__dict__.get("__loom_repository_registration__")
    return found if isinstance(found, RepositoryRegistration) else None


def _protocol_bases(cls: type[Any]) -> tuple[type[Any], ...]:
    return tuple(
        base
        for base in cls.__bases__
        if base is not Protocol
        and getattr(base, "_is_protocol", False)
        and base not in BUILTIN_PROTOCOLS
    )
