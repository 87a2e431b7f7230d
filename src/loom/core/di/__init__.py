"""Dependency injection: a container with lifetimes, scopes, overrides and graph validation.

Registrations hang off a ``LoomContainer`` (never a module global), so two kernels can live in
one process. Imports only the standard library and ``loom.core.errors``.

Example:
    >>> container = LoomContainer()
    >>> container.register(PaymentGateway, factory=StripeGateway)
    >>> container.register(OrderService, lifetime=Lifetime.SCOPED)
    >>> container.validate()
    >>> async with container.scope() as scope:
    ...     service = await scope.aresolve(OrderService)
"""

from loom.core.di._container import ContainerModule, LoomContainer
from loom.core.di._registration import Lifetime

__all__ = ["ContainerModule", "Lifetime", "LoomContainer"]
