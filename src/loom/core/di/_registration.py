"""Registrations: what the container knows about one key, and how long its instances live.

Imports only the standard library and ``loom.core.errors``.
"""

from __future__ import annotations

import enum
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from loom.core.di._inspect import describe
from loom.core.errors import DependencyError


class Lifetime(enum.StrEnum):
    """How long a built instance lives.

    Attributes:
        SINGLETON: One instance for the container that holds the registration.
        SCOPED: One instance per ``container.scope()`` (a request, a job), closed at scope exit.
        TRANSIENT: A new instance on every resolution.
    """

    SINGLETON = "singleton"
    SCOPED = "scoped"
    TRANSIENT = "transient"


class _Missing:
    """Marker for "no instance given" (``None`` is a valid instance)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()


# eq=False: registrations are compared by identity, so the instance caches keyed by them keep an
# overridden registration's instance apart from the original's.
@dataclass(frozen=True, slots=True, eq=False)
class Registration:
    """One entry of a container.

    Attributes:
        key: What callers ask for (a class, a Protocol, a generic alias such as
            ``RepoFor[Product]``).
        lifetime: How long the built instance lives.
        factory: The callable that builds the instance; ``None`` for a ready instance.
        instance: The ready instance, or ``MISSING``.
    """

    key: Any
    lifetime: Lifetime
    factory: Callable[..., Any] | None
    instance: Any = MISSING

    @property
    def is_instance(self) -> bool:
        """Whether this registration holds a ready instance."""
        return self.instance is not MISSING


def coerce_lifetime(key: Any, lifetime: Lifetime | str) -> Lifetime:
    """Accept a ``Lifetime`` or its string value.

    Raises:
        DependencyError: The value names no lifetime.
    """
    try:
        return Lifetime(lifetime)
    except ValueError:
        known = ", ".join(member.value for member in Lifetime)
        raise DependencyError(
            f"unknown lifetime {lifetime!r} for {describe(key)}; use one of: {known}"
        ) from None


def make_registration(
    key: Any,
    *,
    factory: Callable[..., Any] | None,
    instance: Any,
    lifetime: Lifetime | str,
) -> Registration:
    """Check the arguments of ``register`` and build the registration.

    Raises:
        DependencyError: The arguments cannot describe how to build ``key``.
    """
    name = describe(key)
    life = coerce_lifetime(key, lifetime)
    if factory is not None and instance is not MISSING:
        raise DependencyError(f"register({name}) got both factory= and instance=; give one of them")
    if instance is not MISSING:
        if life is not Lifetime.SINGLETON:
            raise DependencyError(
                f"register({name}, instance=...) with lifetime {life.value!r}: a ready instance "
                "is one object; drop lifetime= or give a factory= that builds a new one"
            )
        return Registration(key, life, None, instance)
    if factory is None:
        factory = _self_factory(key)
    elif not callable(factory):
        raise DependencyError(
            f"register({name}, factory={factory!r}): the factory is not callable; "
            "pass a class or a function, or use instance= for a ready object"
        )
    return Registration(key, life, factory, MISSING)


def _self_factory(key: Any) -> Callable[..., Any]:
    name = describe(key)
    if not isinstance(key, type):
        raise DependencyError(
            f"register({name}): {name} is not a class, so it cannot build itself; "
            f"give factory= or instance=, e.g. container.register({name}, factory=Impl)"
        )
    if getattr(key, "_is_protocol", False):
        raise DependencyError(
            f"register({name}): {name} is a Protocol and cannot be instantiated; "
            f"register an implementation: container.register({name}, factory=Impl)"
        )
    if inspect.isabstract(key):
        raise DependencyError(
            f"register({name}): {name} is abstract; "
            f"register an implementation: container.register({name}, factory=Impl)"
        )
    return key
