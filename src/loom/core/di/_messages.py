"""The wording of dependency errors, shared by resolution and ``validate()``.

Imports only the standard library and ``loom.core.errors``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from loom.core.di._inspect import describe
from loom.core.errors import DependencyError


def chain_text(path: Sequence[Any]) -> str:
    """``OrderService -> PaymentGateway -> HttpClient``."""
    return " -> ".join(describe(key) for key in path)


def _prefix(path: Sequence[Any]) -> str:
    head = f"cannot build {describe(path[0])}: "
    return head if len(path) == 1 else f"{head}{chain_text(path)}: "


def missing(path: Sequence[Any]) -> DependencyError:
    """The last key of ``path`` has no registration."""
    name = describe(path[-1])
    return DependencyError(
        f"{_prefix(path)}{name} is not registered; "
        f"register it with container.register({name}, ...)",
        code="dependency_missing",
    )


def circular(path: Sequence[Any]) -> DependencyError:
    """``path`` ends where it started."""
    return DependencyError(
        f"cannot build {describe(path[0])}: circular dependency {chain_text(path)}; "
        "break the cycle: let one side receive the LoomContainer and resolve the other later, "
        "or move the shared part into a third class",
        code="dependency_cycle",
    )


def captive(path: Sequence[Any], singleton: Any) -> DependencyError:
    """A singleton (somewhere in ``path``) would capture the scoped last key of ``path``."""
    scoped = describe(path[-1])
    owner = describe(singleton)
    tail = list(path[list(path).index(singleton) :])
    return DependencyError(
        f"cannot build {describe(path[0])}: captive dependency: singleton {owner} depends on "
        f"scoped {scoped} ({chain_text(tail)}); a singleton outlives every scope, so register "
        f"{owner} as SCOPED or TRANSIENT, or {scoped} as SINGLETON",
        code="dependency_captive",
    )


def outside_scope(path: Sequence[Any]) -> DependencyError:
    """A SCOPED key was asked for where no scope is open."""
    name = describe(path[-1])
    return DependencyError(
        f"{_prefix(path)}{name} is registered as SCOPED and no scope is open; resolve it "
        "inside `async with container.scope() as scope:` through scope.aresolve(...)",
        code="dependency_scope",
    )


def needs_async(path: Sequence[Any]) -> DependencyError:
    """A sync resolution reached an async factory."""
    return DependencyError(
        f"{_prefix(path)}{describe(path[-1])} has an async factory; "
        f"use `await container.aresolve({describe(path[0])})` "
        f"(or `await container.abuild(...)`)",
        code="dependency_async",
    )
