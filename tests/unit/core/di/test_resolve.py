"""Registering and resolving: classes, implementations, factories, instances, defaults."""

from __future__ import annotations

import pytest

from loom.core.di import Lifetime, LoomContainer
from loom.core.errors import DependencyError
from tests.unit.core.di._services import (
    Clock,
    CycleA,
    CycleB,
    FixedClock,
    Greeter,
    HttpClient,
    OrderService,
    PaymentGateway,
    Product,
    Repo,
    Unannotated,
    User,
)


def test_a_class_registered_as_itself_is_built_with_its_dependencies() -> None:
    container = LoomContainer()
    container.register(HttpClient)
    container.register(PaymentGateway)
    container.register(OrderService)

    service = container.resolve(OrderService)

    assert isinstance(service.payments.http, HttpClient)


def test_singletons_are_built_once_and_transients_every_time() -> None:
    container = LoomContainer()
    container.register(HttpClient)
    container.register(PaymentGateway, lifetime=Lifetime.TRANSIENT)

    first, second = container.resolve(PaymentGateway), container.resolve(PaymentGateway)

    assert first is not second
    assert first.http is second.http


def test_a_protocol_key_resolves_to_its_implementation() -> None:
    container = LoomContainer()
    container.register(Clock, factory=FixedClock)
    container.register(Greeter)

    greeter = container.resolve(Greeter)

    assert greeter.clock.now() == 42
    assert (greeter.greeting, greeter.retries) == ("hello", 3)


def test_generic_aliases_are_distinct_keys() -> None:
    container = LoomContainer()
    container.register(Repo[Product], instance=Repo("products"))
    container.register(Repo[User], factory=lambda: Repo("users"))

    assert container.resolve(Repo[Product]).name == "products"
    assert container.resolve(Repo[User]).name == "users"
    assert not container.is_registered(Repo[int])


def test_a_factory_receives_its_parameters_by_annotation() -> None:
    container = LoomContainer()
    container.register(HttpClient)

    def make_gateway(http: HttpClient) -> PaymentGateway:
        return PaymentGateway(http)

    container.register(PaymentGateway, factory=make_gateway)

    assert container.resolve(PaymentGateway).http is container.resolve(HttpClient)


def test_a_ready_instance_is_returned_as_is() -> None:
    client = HttpClient()
    container = LoomContainer()
    container.register(HttpClient, instance=client)

    assert container.resolve(HttpClient) is client
    assert container.is_registered(HttpClient)


def test_a_parameter_typed_as_the_container_receives_it() -> None:
    container = LoomContainer()

    def needs_container(c: LoomContainer) -> HttpClient:
        assert c is container
        return HttpClient()

    container.register(HttpClient, factory=needs_container)

    assert isinstance(container.resolve(HttpClient), HttpClient)


def test_build_constructs_an_unregistered_class() -> None:
    container = LoomContainer()
    container.register(Clock, factory=FixedClock)
    container.register(str, instance="hi")

    greeter = container.build(Greeter)

    assert greeter.greeting == "hi"
    assert greeter.retries == 3
    assert not container.is_registered(Greeter)


def test_load_applies_modules_in_order() -> None:
    def infrastructure(c: LoomContainer) -> None:
        c.register(HttpClient)

    def payments(c: LoomContainer) -> None:
        if not c.is_registered(PaymentGateway):
            c.register(PaymentGateway)

    container = LoomContainer()
    container.load(infrastructure, payments)

    assert isinstance(container.resolve(PaymentGateway).http, HttpClient)


def test_a_missing_dependency_names_the_chain() -> None:
    container = LoomContainer()
    container.register(PaymentGateway)
    container.register(OrderService)

    with pytest.raises(DependencyError) as caught:
        container.resolve(OrderService)

    assert str(caught.value) == (
        "cannot build OrderService: OrderService -> PaymentGateway -> HttpClient: "
        "HttpClient is not registered; register it with container.register(HttpClient, ...)"
    )


def test_an_unregistered_key_names_itself() -> None:
    with pytest.raises(DependencyError, match=r"^cannot build HttpClient: HttpClient is not"):
        LoomContainer().resolve(HttpClient)


def test_a_cycle_names_the_loop() -> None:
    container = LoomContainer()
    container.register(CycleA)
    container.register(CycleB)

    with pytest.raises(DependencyError, match="circular dependency CycleA -> CycleB -> CycleA"):
        container.resolve(CycleA)


def test_an_async_factory_needs_aresolve() -> None:
    async def make() -> HttpClient:
        return HttpClient()

    container = LoomContainer()
    container.register(HttpClient, factory=make)

    with pytest.raises(DependencyError, match=r"async factory; use `await container.aresolve"):
        container.resolve(HttpClient)


async def test_aresolve_awaits_async_factories() -> None:
    async def make() -> HttpClient:
        return HttpClient()

    container = LoomContainer()
    container.register(HttpClient, factory=make)
    container.register(PaymentGateway)

    gateway = await container.aresolve(PaymentGateway)

    assert gateway.http is await container.aresolve(HttpClient)


async def test_abuild_awaits_async_dependencies() -> None:
    async def make() -> HttpClient:
        return HttpClient()

    container = LoomContainer()
    container.register(HttpClient, factory=make)

    gateway = await container.abuild(PaymentGateway)

    assert isinstance(gateway.http, HttpClient)


def test_a_failing_factory_keeps_its_error_and_notes_the_chain() -> None:
    def broken() -> HttpClient:
        raise RuntimeError("no network")

    container = LoomContainer()
    container.register(HttpClient, factory=broken)
    container.register(PaymentGateway)

    with pytest.raises(RuntimeError, match="no network") as caught:
        container.resolve(PaymentGateway)

    assert caught.value.__notes__ == ["while building PaymentGateway -> HttpClient"]


def test_a_required_parameter_without_annotation_is_named() -> None:
    container = LoomContainer()
    container.register(Unannotated)

    with pytest.raises(DependencyError, match="parameter 'thing' of Unannotated has no type"):
        container.resolve(Unannotated)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"factory": HttpClient, "instance": HttpClient()}, "got both factory= and instance="),
        ({"instance": HttpClient(), "lifetime": "scoped"}, "a ready instance is one object"),
        ({"lifetime": "forever"}, "unknown lifetime 'forever' for HttpClient; use one of"),
        ({"factory": 3}, "the factory is not callable"),
    ],
)
def test_register_rejects_contradictory_arguments(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(DependencyError, match=message):
        LoomContainer().register(HttpClient, **kwargs)  # type: ignore[arg-type]


def test_a_protocol_cannot_build_itself() -> None:
    with pytest.raises(DependencyError, match=r"Clock is a Protocol .* factory=Impl"):
        LoomContainer().register(Clock)


def test_a_generic_alias_needs_a_factory() -> None:
    with pytest.raises(DependencyError, match=r"Repo\[Product\] is not a class"):
        LoomContainer().register(Repo[Product])


def test_lifetimes_accept_their_string_values() -> None:
    container = LoomContainer()
    container.register(HttpClient, lifetime="transient")

    assert container.resolve(HttpClient) is not container.resolve(HttpClient)
