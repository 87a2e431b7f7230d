"""The job ports: the backend that runs dispatched jobs, the ledger of applied jobs, the host.

Imports only the standard library and ``loom.core``.
"""

from __future__ import annotations

import contextlib
from typing import Any, Protocol, runtime_checkable

from loom.core.di import LoomContainer
from loom.core.job._message import JobMessage
from loom.core.repository.abc import RepoFor
from loom.core.transaction import Propagation


@runtime_checkable
class JobBackend(Protocol):
    """Where the relay sends committed jobs (inline in this process, Celery, ...)."""

    async def publish(self, message: JobMessage) -> None:
        """Hand the job over; return only once it is safely accepted.

        Raises:
            Exception: It was not accepted (broker down, ...); the relay retries later.
        """
        ...


class JobLedger(Protocol):
    """Remembers which jobs applied their effect (for ``__idempotent__ = True`` jobs)."""

    async def first_run(self, job_id: str, job: str) -> bool:
        """Record ``job_id`` in the transaction open in this task.

        Returns:
            ``True`` the first time; ``False`` when a committed run already recorded it.
        """
        ...


class JobHost(Protocol):
    """What running a job needs of the kernel."""

    container: LoomContainer

    def transaction(
        self, propagation: Propagation | str = ..., *, read_only: bool = ...
    ) -> contextlib.AbstractAsyncContextManager[Any]:
        """Open or join a transaction."""
        ...

    def for_model(self, model: type[Any]) -> RepoFor[Any]:
        """The repository markers load entities with."""
        ...


class MemoryJobLedger:
    """A :class:`JobLedger` in a set, for unit tests (it does not roll back)."""

    def __init__(self) -> None:
        self.job_ids: set[str] = set()

    async def first_run(self, job_id: str, job: str) -> bool:
        """``True`` the first time ``job_id`` is seen."""
        if job_id in self.job_ids:
            return False
        self.job_ids.add(job_id)
        return True
