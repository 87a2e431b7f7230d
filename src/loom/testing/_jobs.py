"""Waiting for background jobs in tests, without sleeping."""

from __future__ import annotations

from typing import Protocol


class Drainable(Protocol):
    """A kernel (anything with ``async drain(timeout)``)."""

    async def drain(self, timeout: float = ...) -> None:  # noqa: ASYNC109 (documented API)
        """Wait until the outbox is empty and inline jobs finished."""
        ...


async def drain(kernel: Drainable, timeout: float = 30.0) -> None:  # noqa: ASYNC109 (documented API)
    """Wait until every committed job of ``kernel`` has run (the outbox is empty).

    Dispatch, commit, ``await drain(kernel)``, then assert on what the jobs did.

    Raises:
        JobError: Messages are still pending after ``timeout`` seconds.
    """
    await kernel.drain(timeout)
