"""Scopes, closing, overrides and concurrent async singletons."""

from __future__ import annotations

import asyncio

import pytest

from loom.core.di import Lifetime, LoomContainer
from loom.core.errors import DependencyError
from tests.unit.core.di._services import (
    Engine,
    HttpClient,
    PaymentGateway,
    Pool,
    Session,
    UsesSession,
    Wrapper,
)


async def test_scoped_instances_are_one_per_scope_and_closed_at_exit() -> None:
    container = LoomContainer()
    container.register(Session, lifetime=Lifetime.SCOPED)
    container.register(UsesSession, lifetime=Lifetime.TRANSIENT)

    async with container.scope() as first:
        a = await first.aresolve(UsesSession)
        b = await first.aresolve(UsesSession)
        assert a.session is b.session
        closed_inside = a.session.closed
    async with container.scope() as second:
        c = second.resolve(UsesSession)

    assert (closed_inside, a.session.closed) == (False, True)
    assert c.session is not a.session
    assert c.session.closed


async def test_a_scoped_key_outside_a_scope_says_to_open_one() -> None:
    container = LoomContainer()
    container.register(Session, lifetime=Lifetime.SCOPED)

    with pytest.raises(DependencyError, match=r"Session is registered as SCOPED and no scope"):
        await container.aresolve(Session)


async def test_a_singleton_cannot_capture_a_scoped_dependency() -> None:
    container = LoomContainer()
    container.register(Session, lifetime=Lifetime.SCOPED)
    container.register(UsesSession, lifetime=Lifetime.TRANSIENT)
    container.register(Wrapper)

    async with container.scope() as scope:
        with pytest.raises(DependencyError) as caught:
            await scope.aresolve(Wrapper)

    assert "singleton Wrapper depends on scoped Session (Wrapper -> UsesSession -> Session)" in (
        str(caught.value)
    )


async def test_registrations_on_a_scope_stay_in_it() -> None:
    container = LoomContainer()
    container.register(UsesSession, lifetime=Lifetime.SCOPED)

    async with container.scope() as scope:
        scope.register(Session, instance=Session())
        assert scope.resolve(UsesSession).session is scope.resolve(Session)

    assert not container.is_registered(Session)


async def test_a_scope_hands_itself_to_parameters_typed_as_the_container() -> None:
    container = LoomContainer()
    seen: list[LoomContainer] = []

    def make(c: LoomContainer) -> Session:
        seen.append(c)
        return Session()

    container.register(Session, factory=make, lifetime=Lifetime.SCOPED)

    async with container.scope() as scope:
        await scope.aresolve(Session)

    assert seen == [scope]


async def test_close_closes_singletons_newest_first() -> None:
    log: list[str] = []
    container = LoomContainer()
    container.register(list[str], instance=log)
    container.register(Engine)
    container.register(Pool)

    await container.aresolve(Pool)
    await container.close()

    assert log == ["pool", "engine"]


async def test_close_does_not_close_ready_instances() -> None:
    session = Session()
    async with LoomContainer() as container:
        container.register(Session, instance=session)
        container.resolve(Session)

    assert not session.closed


async def test_a_failing_close_still_closes_the_rest() -> None:
    log: list[str] = []

    class Broken:
        def close(self) -> None:
            raise OSError("socket gone")

    container = LoomContainer()
    container.register(list[str], instance=log)
    container.register(Engine)
    container.register(Broken, factory=Broken)
    container.resolve(Engine)
    container.resolve(Broken)

    with pytest.raises(DependencyError, match=r"closing the container failed for: .*Broken"):
        await container.close()

    assert log == ["engine"]


async def test_concurrent_aresolve_builds_one_singleton() -> None:
    calls = 0
    gate = asyncio.Event()

    async def make() -> HttpClient:
        nonlocal calls
        calls += 1
        await gate.wait()
        return HttpClient()

    container = LoomContainer()
    container.register(HttpClient, factory=make)

    async def open_gate() -> None:
        gate.set()

    # Tasks run in creation order: all ten resolutions are waiting before the gate opens.
    tasks = [asyncio.create_task(container.aresolve(HttpClient)) for _ in range(10)]
    opener = asyncio.create_task(open_gate())
    results = await asyncio.gather(*tasks)
    await opener

    assert calls == 1
    assert all(result is results[0] for result in results)


def test_override_replaces_and_then_restores() -> None:
    real, fake = HttpClient(), HttpClient()
    container = LoomContainer()
    container.register(HttpClient, instance=real)
    container.register(PaymentGateway, lifetime=Lifetime.TRANSIENT)

    with container.override(HttpClient, fake):
        assert container.resolve(PaymentGateway).http is fake

    assert container.resolve(PaymentGateway).http is real


def test_override_with_a_class_builds_it_and_removes_it_afterwards() -> None:
    class FakeClient(HttpClient):
        pass

    container = LoomContainer()

    with container.override(HttpClient, FakeClient):
        assert isinstance(container.resolve(HttpClient), FakeClient)

    assert not container.is_registered(HttpClient)


def test_override_with_a_factory_keeps_the_replaced_lifetime() -> None:
    container = LoomContainer()
    container.register(HttpClient, lifetime=Lifetime.TRANSIENT)

    with container.override(HttpClient, lambda: HttpClient()):
        assert container.resolve(HttpClient) is not container.resolve(HttpClient)
