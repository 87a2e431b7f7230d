"""Relay test helpers: polling with a deadline, a clock tests move, backends that fail or count."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from loom.core.job import JobBackend, JobMessage
from loom.core.outbox import CrashHook, OutboxMessage, utc_now

WAIT_TIMEOUT = 20.0


async def eventually(
    check: Callable[[], Awaitable[bool]], what: str, within: float = WAIT_TIMEOUT
) -> None:
    """Poll ``check`` until it holds; fail naming ``what`` after ``within`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await check():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {within}s waiting for {what}")
        await asyncio.sleep(0.05)


class FakeClock:
    """A clock that stands still until a test moves it (expires claims, passes backoffs)."""

    def __init__(self) -> None:
        # A second ahead, so that rows written just now with the real clock are due.
        self.now = utc_now() + timedelta(seconds=1)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class CountingBackend:
    """Counts deliveries, yields to other tasks, then hands the job on (if it has a target)."""

    def __init__(self, target: JobBackend | None = None, failures: int = 0) -> None:
        self.target = target
        self.failures = failures
        self.delivered: list[str] = []

    async def publish(self, message: JobMessage) -> None:
        # Yield so that concurrent relays interleave their rounds.
        await asyncio.sleep(0)
        if self.failures > 0:
            self.failures -= 1
            raise ConnectionError("broker unreachable (simulated)")
        self.delivered.append(message.job_id)
        if self.target is not None:
            await self.target.publish(message)


class Crash(Exception):
    """Raised by a crash hook: the relay dies between publishing and marking."""


def crash_once() -> tuple[list[str], CrashHook]:
    """A crash hook raising once after the first publish, and the ids it crashed on."""
    crashed: list[str] = []

    def hook(point: str, message: OutboxMessage) -> None:
        if point == "published" and not crashed:
            crashed.append(message.id)
            raise Crash(f"relay crashed after publishing {crashed[0]}")

    return crashed, hook
