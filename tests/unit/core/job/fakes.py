"""Fakes of the job unit tests: jobs that add numbers, a callback, a kernel without database."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from loom.core.di import LoomContainer
from loom.core.errors import UnavailableError
from loom.core.job.job import Job
from loom.core.repository.abc import RepoFor
from loom.core.trace import current_trace_id


class Calls:
    """What the jobs did, and what they should meet next."""

    def __init__(self) -> None:
        self.runs: list[int] = []
        self.fail = 0
        self.outages = 0
        self.outcomes: list[tuple[str, str, Any, dict[str, Any]]] = []
        self.trace_ids: list[str | None] = []


class AddJob(Job[int]):
    __queue__ = "math"
    __retries__ = 1

    def __init__(self, calls: Calls) -> None:
        self._calls = calls

    async def execute(self, a: int, b: int = 0) -> int:
        self._calls.runs.append(a + b)
        self._calls.trace_ids.append(current_trace_id.get())
        if self._calls.outages:
            self._calls.outages -= 1
            raise UnavailableError("the database does not answer (simulated)")
        if self._calls.fail:
            self._calls.fail -= 1
            raise ValueError("no sums today")
        return a + b


class OnceJob(AddJob):
    __idempotent__ = True


class Outcome:
    def __init__(self, calls: Calls) -> None:
        self._calls = calls

    async def on_success(self, job_id: str, result: Any, **context: Any) -> None:
        self._calls.outcomes.append(("ok", job_id, result, context))

    async def on_failure(self, job_id: str, error: Any, **context: Any) -> None:
        self._calls.outcomes.append(("failed", job_id, str(error), context))


class Host:
    """The kernel's part a job needs: a container, transactions (no-op), repositories (none)."""

    def __init__(self) -> None:
        self.container = LoomContainer()
        self.calls = Calls()
        self.container.register(Calls, instance=self.calls)
        self.down = 0
        """Transactions still to refuse, as a database that does not answer."""
        self.up_for = 0
        """Transactions to open before refusing any."""
        self.transactions = 0

    @contextlib.asynccontextmanager
    async def transaction(
        self, propagation: Any = None, *, read_only: bool = False
    ) -> AsyncIterator[None]:
        self.transactions += 1
        if self.down and self.transactions > self.up_for:
            self.down -= 1
            raise ConnectionRefusedError(111, "Connect call failed (simulated)")
        yield None

    def for_model(self, model: type[Any]) -> RepoFor[Any]:
        raise AssertionError("these jobs load nothing")
