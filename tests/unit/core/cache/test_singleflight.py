"""SingleFlight: one load per key, errors shared, a cancelled leader handing over."""

from __future__ import annotations

import asyncio

import pytest

from loom.core.cache._singleflight import SingleFlight
from tests.unit.core.cache.fakes import until


async def test_concurrent_calls_share_one_load() -> None:
    flight: SingleFlight[int] = SingleFlight()
    gate = asyncio.Event()
    loads = 0

    async def load() -> int:
        nonlocal loads
        loads += 1
        await gate.wait()
        return 42

    tasks = [asyncio.create_task(flight.run("k", load)) for _ in range(10)]
    await until(lambda: loads == 1 and len(flight) == 1)
    await asyncio.sleep(0)
    gate.set()
    results = await asyncio.gather(*tasks)
    assert loads == 1
    assert sorted(led for _, led in results) == [False] * 9 + [True]
    assert {value for value, _ in results} == {42}
    assert len(flight) == 0


async def test_an_error_reaches_every_waiting_caller() -> None:
    flight: SingleFlight[int] = SingleFlight()
    gate = asyncio.Event()

    async def load() -> int:
        await gate.wait()
        raise LookupError("boom")

    tasks = [asyncio.create_task(flight.run("k", load)) for _ in range(3)]
    await until(lambda: len(flight) == 1)
    await asyncio.sleep(0)
    gate.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(r, LookupError) for r in results)


async def test_a_cancelled_leader_lets_a_follower_load() -> None:
    flight: SingleFlight[str] = SingleFlight()
    gate = asyncio.Event()
    calls: list[str] = []

    async def load(name: str) -> str:
        calls.append(name)
        await gate.wait()
        return name

    leader = asyncio.create_task(flight.run("k", lambda: load("leader")))
    await until(lambda: calls == ["leader"])
    follower = asyncio.create_task(flight.run("k", lambda: load("follower")))
    await asyncio.sleep(0)
    leader.cancel()
    with pytest.raises(asyncio.CancelledError):
        await leader
    await until(lambda: calls == ["leader", "follower"])
    gate.set()
    assert await follower == ("follower", True)
