"""Static types of the container API (checked by mypy, run by pytest)."""

from __future__ import annotations

from typing import Any, assert_type

from loom.core.di import LoomContainer
from tests.unit.core.di._services import Clock, FixedClock, HttpClient, Product, Repo


async def test_resolution_returns_the_requested_type() -> None:
    container = LoomContainer()
    container.register(HttpClient)
    container.register(Clock, factory=FixedClock)
    container.register(Repo[Product], instance=Repo("products"))

    assert_type(container.resolve(HttpClient), HttpClient)
    assert_type(await container.aresolve(HttpClient), HttpClient)
    assert_type(container.build(HttpClient), HttpClient)
    assert_type(container.resolve(Repo[Product]), Repo[Product])
    # mypy will not bind a Protocol to type[T]; such keys resolve to Any.
    assert_type(container.resolve(Clock), Any)
    assert container.resolve(Clock).now() == 42
