"""Job backends: inline (run in this process), recording (tests), and the relay's adapter."""

from __future__ import annotations

from loom.core.job._message import JobMessage, decode_job
from loom.core.job._ports import JobBackend
from loom.core.job._runner import JobRunner
from loom.core.outbox import OutboxMessage


class InlineJobBackend:
    """Runs each job in this process, to its end, before the relay marks its message sent.

    The job (with its retries and callback) finishes before ``publish`` returns, so a process
    that dies mid-job leaves the message claimed and it runs again after the claim expires.

    Args:
        runner: Runs jobs through the kernel.
    """

    def __init__(self, runner: JobRunner) -> None:
        self.runner = runner

    async def publish(self, message: JobMessage) -> None:
        """Run the job now."""
        await self.runner.deliver(message)


class RecordingJobBackend:
    """Keeps published jobs in a list instead of running them; fails on demand (tests).

    Attributes:
        messages: Every accepted message, in order (a redelivery appears twice).
        failures: Publishes still to refuse, each raising ``ConnectionError``.
    """

    def __init__(self, failures: int = 0) -> None:
        self.messages: list[JobMessage] = []
        self.failures = failures

    async def publish(self, message: JobMessage) -> None:
        """Record ``message``, or refuse it while ``failures`` is positive."""
        if self.failures > 0:
            self.failures -= 1
            raise ConnectionError("recording backend refused the job (simulated outage)")
        self.messages.append(message)


class JobPublisher:
    """The relay's :class:`~loom.core.outbox.Publisher` for job messages: decode, then publish."""

    def __init__(self, backend: JobBackend) -> None:
        self.backend = backend

    async def publish(self, message: OutboxMessage) -> None:
        """Decode the job message and hand it to the backend."""
        await self.backend.publish(decode_job(message.body))
