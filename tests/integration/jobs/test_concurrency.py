"""Deliveries in parallel (``outbox.concurrency``), ordering keys kept, claims renewed while a
slow job runs; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from loom.core.bootstrap import Kernel
from loom.core.job import InlineJobBackend, JobPublisher
from loom.core.job.job import Job
from loom.core.job.service import JobService
from loom.core.outbox import OutboxMessage, OutboxRelay, RelaySettings, utc_now
from loom.core.repository.sqlalchemy import SQLAlchemyOutboxStore, outbox_tables
from tests.integration.jobs.app import GatedNoteJob, WriteNoteJob
from tests.integration.jobs.conftest import KernelFactory, notes, probe_of, store_of
from tests.integration.jobs.helpers import eventually

pytestmark = pytest.mark.integration


async def dispatch(kernel: Kernel, job: type[Job[str]], text: str, key: str | None = None) -> str:
    jobs = kernel.container.resolve(JobService)
    handle = await jobs.dispatch_now(job, payload={"text": text}, ordering_key=key)
    return handle.job_id


async def test_a_slow_job_holds_back_only_its_own_ordering_key(
    make_kernel: KernelFactory,
) -> None:
    async with make_kernel(**{"outbox.concurrency": 4}) as kernel:
        probe = probe_of(kernel)
        await dispatch(kernel, GatedNoteJob, "k1", key="k")

        async def slow_started() -> bool:
            return probe.started == ["k1"]

        await eventually(slow_started, "the slow job to start")
        await dispatch(kernel, WriteNoteJob, "k2", key="k")
        for i in range(3):
            await dispatch(kernel, WriteNoteJob, f"free-{i}")

        async def others_done() -> bool:
            return sorted(await notes(kernel)) == ["free-0", "free-1", "free-2"]

        # Dispatched after the slow job started, they run while it still runs.
        await eventually(others_done, "the jobs dispatched after the slow one")
        assert probe.running == 1
        assert "k2" not in probe.runs  # behind k1, which is still running

        probe.gate.set()
        await kernel.drain()
        keyed = [text for text in probe.runs if text.startswith("k")]
        assert keyed == ["k1", "k2"]
        assert sorted(await notes(kernel)) == ["free-0", "free-1", "free-2", "k1", "k2"]


async def test_deliveries_run_in_parallel_up_to_outbox_concurrency(
    make_kernel: KernelFactory,
) -> None:
    async with make_kernel(**{"outbox.concurrency": 3}) as kernel:
        probe = probe_of(kernel)
        jobs = kernel.container.resolve(JobService)
        async with kernel.transaction():
            for i in range(7):
                jobs.dispatch(GatedNoteJob, payload={"text": f"g{i}"})

        async def three_running() -> bool:
            return probe.running == 3

        await eventually(three_running, "three jobs running at once")
        relay = kernel.jobs.relay
        assert relay is not None
        assert relay.in_flight == 3
        probe.gate.set()
        await kernel.drain()
        assert probe.most_running == 3  # in parallel, never beyond the bound
        assert sorted(await notes(kernel)) == [f"g{i}" for i in range(7)]


class WatchedStore(SQLAlchemyOutboxStore):
    """The outbox store, remembering when each claim was tried."""

    claims: list[datetime]

    async def claim(
        self, relay_id: str, limit: int, now: datetime, lease: float
    ) -> list[OutboxMessage]:
        self.claims.append(now)
        return await super().claim(relay_id, limit, now, lease)


async def test_a_job_slower_than_the_lease_runs_once_with_two_relays(
    make_kernel: KernelFactory,
) -> None:
    async with make_kernel(**{"outbox.enabled": False}) as kernel:
        probe = probe_of(kernel)
        store, runner = store_of(kernel), kernel.jobs.runner
        assert runner is not None
        lease = 0.6
        settings = RelaySettings(lease=lease, poll_interval=0.05, backoff_base=0.01)
        publisher = JobPublisher(InlineJobBackend(runner))
        first = OutboxRelay(store, publisher, settings)
        watched = WatchedStore(store.manager, outbox_tables(store.table.metadata))
        watched.claims = []
        second = OutboxRelay(watched, publisher, settings)
        job_id = await dispatch(kernel, GatedNoteJob, "slow")
        await first.start()
        try:

            async def started() -> bool:
                return probe.started == ["slow"]

            await eventually(started, "the slow job to start on the first relay")
            claimed_by = utc_now()
            await second.start()

            async def second_polled_long_after() -> bool:
                late = claimed_by + timedelta(seconds=3 * lease)
                return any(now > late for now in watched.claims)

            # Without renewal the claim would have expired twice over by now.
            await eventually(second_polled_long_after, "the second relay to poll past the lease")
            assert probe.started == ["slow"]
            probe.gate.set()

            async def sent() -> bool:
                record = await store.get(job_id)
                return record is not None and record.status == "sent"

            await eventually(sent, "the slow job to finish")
        finally:
            await first.stop()
            await second.stop()
        assert probe.runs == ["slow"]
        assert await notes(kernel) == ["slow"]
