"""validate(): the whole graph checked without building anything."""

from __future__ import annotations

import pytest

from loom.core.di import Lifetime, LoomContainer
from loom.core.errors import DependencyError
from tests.unit.core.di._services import (
    Clock,
    CycleA,
    CycleB,
    Greeter,
    HttpClient,
    OrderService,
    PaymentGateway,
    Session,
    UsesSession,
    Wrapper,
)


def test_a_complete_graph_validates_without_building() -> None:
    built: list[str] = []

    def make_client() -> HttpClient:
        built.append("client")
        return HttpClient()

    container = LoomContainer()
    container.register(HttpClient, factory=make_client)
    container.register(PaymentGateway)
    container.register(OrderService, lifetime=Lifetime.SCOPED)

    container.validate()

    assert built == []


def test_a_missing_dependency_is_reported_with_its_chain() -> None:
    container = LoomContainer()
    container.register(PaymentGateway)
    container.register(OrderService)

    with pytest.raises(DependencyError) as caught:
        container.validate()

    # Both registrations lead to the same hole; each chain is reported once.
    assert str(caught.value) == (
        "the container has 2 problems:\n"
        "- cannot build PaymentGateway: PaymentGateway -> HttpClient: HttpClient is not "
        "registered; register it with container.register(HttpClient, ...)\n"
        "- cannot build OrderService: OrderService -> PaymentGateway -> HttpClient: HttpClient "
        "is not registered; register it with container.register(HttpClient, ...)"
    )


def test_a_cycle_is_reported() -> None:
    container = LoomContainer()
    container.register(CycleA)
    container.register(CycleB)

    with pytest.raises(DependencyError, match="circular dependency CycleA -> CycleB -> CycleA"):
        container.validate()


def test_a_captive_dependency_is_reported_naming_both() -> None:
    container = LoomContainer()
    container.register(Session, lifetime=Lifetime.SCOPED)
    container.register(UsesSession, lifetime=Lifetime.TRANSIENT)
    container.register(Wrapper, lifetime=Lifetime.SINGLETON)

    with pytest.raises(DependencyError) as caught:
        container.validate()

    assert str(caught.value) == (
        "cannot build Wrapper: captive dependency: singleton Wrapper depends on scoped Session "
        "(Wrapper -> UsesSession -> Session); a singleton outlives every scope, so register "
        "Wrapper as SCOPED or TRANSIENT, or Session as SINGLETON"
    )


def test_scoped_depending_on_scoped_is_fine() -> None:
    container = LoomContainer()
    container.register(Session, lifetime=Lifetime.SCOPED)
    container.register(UsesSession, lifetime=Lifetime.SCOPED)
    container.register(Wrapper, lifetime=Lifetime.SCOPED)

    container.validate()


def test_unregistered_parameters_with_defaults_are_not_problems() -> None:
    container = LoomContainer()
    container.register(Clock, factory=lambda: None)
    container.register(Greeter)

    container.validate()
