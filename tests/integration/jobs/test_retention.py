"""Sent rows the relay purges after ``outbox.retention``; dead letters requeued by hand."""

from __future__ import annotations

from typing import Any

import pytest

from loom.core.bootstrap import Kernel
from loom.core.job import JobPublisher
from loom.core.job.service import JobService
from loom.core.outbox import OutboxRelay, RelaySettings, utc_now
from tests.integration.jobs.app import WriteNoteJob
from tests.integration.jobs.conftest import KernelFactory, notes, outbox_rows, store_of
from tests.integration.jobs.helpers import CountingBackend, FakeClock

pytestmark = pytest.mark.integration

QUIET = {"outbox.enabled": False}  # the kernel's own relay stays off; the tests drive theirs


def relay(
    kernel: Kernel, backend: CountingBackend, clock: FakeClock, **settings: Any
) -> OutboxRelay:
    """A relay over the kernel's outbox table sending jobs to ``backend``."""
    return OutboxRelay(
        store_of(kernel), JobPublisher(backend), RelaySettings(**settings), clock=clock
    )


async def dispatch(kernel: Kernel, *texts: str) -> list[str]:
    """Dispatch one WriteNoteJob per text in one transaction; return the job ids."""
    jobs = kernel.container.resolve(JobService)
    async with kernel.transaction():
        return [jobs.dispatch(WriteNoteJob, payload={"text": t}).job_id for t in texts]


async def test_the_relay_purges_only_old_sent_rows_a_batch_per_poll_interval(
    make_kernel: KernelFactory,
) -> None:
    async with make_kernel(**QUIET) as kernel:
        store = store_of(kernel)
        backend, clock = CountingBackend(), FakeClock()
        sender = relay(
            kernel, backend, clock, batch_size=2, poll_interval=5, retention=100, max_attempts=1
        )
        old = await dispatch(kernel, "old1", "old2", "old3")
        assert await sender.run_once() == 2
        assert await sender.run_once() == 1
        clock.advance(50)
        [young] = await dispatch(kernel, "young")
        assert await sender.run_once() == 1
        backend.failures = 1
        [doomed] = await dispatch(kernel, "doomed")
        assert await sender.run_once() == 1
        assert await store.status_counts() == {"pending": 0, "sent": 4, "dead": 1}

        clock.advance(60)  # old* were sent 110s ago, young 60s ago
        assert await sender.run_once() == 0
        assert await outbox_rows(kernel) == 3  # one batch of two went
        assert await sender.run_once() == 0
        assert await outbox_rows(kernel) == 3  # not again within the poll interval
        clock.advance(5)
        assert await sender.run_once() == 0
        assert [await store.get(message_id) for message_id in old] == [None, None, None]
        assert await store.status_counts() == {"pending": 0, "sent": 1, "dead": 1}

        [waiting] = await dispatch(kernel, "waiting")
        clock.advance(365 * 86400)
        assert await sender.purge() == 1
        assert await store.get(young) is None
        kept = [await store.get(message_id) for message_id in (doomed, waiting)]
        assert [record.status if record else None for record in kept] == ["dead", "pending"]


async def test_retention_zero_keeps_sent_rows(make_kernel: KernelFactory) -> None:
    async with make_kernel(**QUIET) as kernel:
        clock = FakeClock()
        sender = relay(kernel, CountingBackend(), clock, retention=0)
        await dispatch(kernel, "kept")
        assert await sender.run_once() == 1
        clock.advance(10 * 365 * 86400)
        assert await sender.run_once() == 0
        assert await sender.purge() == 0
        assert await store_of(kernel).status_counts() == {"pending": 0, "sent": 1, "dead": 0}


@pytest.mark.parametrize(
    ("overrides", "retention"), [({}, 604800.0), ({"outbox.retention": 60}, 60.0)]
)
async def test_the_configured_retention_reaches_the_relay(
    make_kernel: KernelFactory, overrides: dict[str, Any], retention: float
) -> None:
    async with make_kernel(**QUIET, **overrides) as kernel:
        assert kernel.jobs.relay is not None
        assert kernel.jobs.relay.settings.retention == retention


async def test_a_requeued_dead_letter_runs(make_kernel: KernelFactory) -> None:
    async with make_kernel(**QUIET) as kernel:
        store = store_of(kernel)
        revived, left = await dispatch(kernel, "revived", "left")
        sender = relay(kernel, CountingBackend(failures=2), FakeClock(), max_attempts=1)
        assert await sender.run_once() == 2
        assert await store.status_counts() == {"pending": 0, "sent": 0, "dead": 2}
        await kernel.drain()
        assert await notes(kernel) == []  # dead letters are not delivered

        assert await store.requeue_dead([], utc_now()) == 0
        assert await store.requeue_dead([revived, "unknown"], utc_now()) == 1
        record = await store.get(revived)
        assert record is not None
        assert (record.status, record.attempts) == ("pending", 0)
        assert record.last_error == "ConnectionError: broker unreachable (simulated)"
        await kernel.drain()
        assert await notes(kernel) == ["revived"]
        sent = await store.get(revived)
        assert sent is not None
        assert sent.status == "sent"

        assert await store.requeue_dead(None, utc_now()) == 1
        await kernel.drain()
        assert await notes(kernel) == ["revived", "left"]
        assert await store.status_counts() == {"pending": 0, "sent": 2, "dead": 0}
        last = await store.get(left)
        assert last is not None
        assert last.status == "sent"
