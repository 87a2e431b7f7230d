"""Inline jobs and the relay while the database is cut (PostgreSQL behind a TCP proxy).

The worker side (relay and inline jobs) reaches PostgreSQL through a proxy the test cuts and
restores; the dispatching side reaches it directly, so jobs keep arriving during the cut.
"""

from __future__ import annotations

import contextlib
import logging
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from loom.core.bootstrap import Kernel
from loom.core.job.job import Job
from loom.core.job.service import JobService
from tests.conftest import Database
from tests.faults import TcpProxy, through
from tests.integration.jobs.app import (
    DoomedNoteJob,
    FailureNote,
    GatedNoteJob,
    GatedOnceNoteJob,
)
from tests.integration.jobs.conftest import (
    applied_job_ids,
    kernel_factory,
    notes,
    probe_of,
    store_of,
)
from tests.integration.jobs.helpers import eventually

pytestmark = pytest.mark.integration

# Short waits so that the test sees the outage and the recovery quickly.
PATIENT = {
    "outbox.poll_interval": 0.05,
    "outbox.backoff_base": 0.05,
    "outbox.backoff_max": 0.3,
    "outbox.concurrency": 4,
}


@pytest.fixture
def proxy(postgres_db: Database) -> Iterator[TcpProxy]:
    """A proxy in front of the test's PostgreSQL."""
    with TcpProxy.for_url(postgres_db.url, 5432) as started:
        yield started


@contextlib.asynccontextmanager
async def sides(db: Database, proxy: TcpProxy) -> AsyncIterator[tuple[Kernel, Kernel]]:
    """``(api, worker)``: the api dispatches on a direct connection (its relay off); the worker
    relays and runs jobs through the proxy."""
    factory = kernel_factory(db)
    worker_url = {"database.url": through(db.url, proxy.port)}
    async with (
        factory(**{"outbox.enabled": False}) as api,
        factory(**worker_url, **PATIENT) as worker,
    ):
        yield api, worker


def records(caplog: pytest.LogCaptureFixture, logger: str, text: str) -> list[logging.LogRecord]:
    """Log records of ``logger`` (and its children) whose message contains ``text``."""
    return [
        r
        for r in caplog.records
        if (r.name == logger or r.name.startswith(logger + ".")) and text in r.getMessage()
    ]


async def dispatch(api: Kernel, job: type[Job[Any]], text: str, **options: Any) -> str:
    handle = await api.container.resolve(JobService).dispatch_now(
        job, payload={"text": text}, **options
    )
    return handle.job_id


async def test_jobs_caught_by_a_database_cut_run_once_it_returns(
    postgres_db: Database, proxy: TcpProxy, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with sides(postgres_db, proxy) as (api, worker):
        probe = probe_of(worker)
        once: dict[str, str] = {}  # job id -> text, idempotent jobs
        plain: dict[str, str] = {}
        for i in range(4):  # claimed and running (held at the gate) when the database goes
            job, kept = (GatedOnceNoteJob, once) if i % 2 else (GatedNoteJob, plain)
            kept[await dispatch(api, job, f"caught-{i}")] = f"caught-{i}"

        async def four_running() -> bool:
            return len(probe.started) == 4

        await eventually(four_running, "four jobs held at the gate")
        proxy.cut()
        for i in range(8):  # committed while the worker's database is away
            job, kept = (GatedOnceNoteJob, once) if i % 2 else (GatedNoteJob, plain)
            kept[await dispatch(api, job, f"during-{i}")] = f"during-{i}"
        probe.gate.set()

        async def caught_tried_to_write() -> bool:
            return len([text for text in probe.runs if text.startswith("caught")]) >= 4

        await eventually(caught_tried_to_write, "the running jobs to meet the outage")
        proxy.restore()
        dispatched = {**once, **plain}

        async def all_applied() -> bool:
            return set(await notes(api)) == set(dispatched.values())

        await eventually(all_applied, "every job to run after the database returned")
        await worker.drain()

        texts = Counter(await notes(api))
        assert set(texts) == set(dispatched.values())  # nothing else ran
        assert all(texts[text] == 1 for text in once.values())  # idempotent effects once
        assert await applied_job_ids(api) == sorted(once)
        assert set(probe.runs) <= set(dispatched.values())
        assert await store_of(api).status_counts() == {"pending": 0, "sent": 12, "dead": 0}
        # The outage was never a job's failure: each running job waited for the database.
        assert len(records(caplog, "loom.jobs", "not counted as an attempt")) >= 4
        assert not records(caplog, "loom.jobs", "failed")


async def test_a_job_failing_while_the_database_is_cut_still_becomes_a_dead_letter(
    postgres_db: Database, proxy: TcpProxy, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with sides(postgres_db, proxy) as (api, worker):
        probe = probe_of(worker)
        probe.failure_hook = proxy.cut  # the database goes while the failure is recorded
        job_id = await dispatch(api, DoomedNoteJob, "doomed", on_failure=FailureNote)

        async def recording_waits() -> bool:
            return bool(records(caplog, "loom.jobs", "its dead letter waits for the database"))

        await eventually(recording_waits, "the dead letter to wait for the database")
        record = await store_of(api).get(job_id)
        assert record is not None
        assert record.status == "pending"  # still claimed by the worker's relay, not lost
        proxy.restore()

        async def dead() -> bool:
            found = await store_of(api).get(job_id)
            return found is not None and found.status == "dead"

        await eventually(dead, "the job to become a dead letter")
        await worker.drain()
        record = await store_of(api).get(job_id)
        assert record is not None
        assert (record.status, record.attempts) == ("dead", 1)
        assert record.last_error == "RuntimeError: doomed: doomed"
        assert await notes(api) == ["failure:doomed"]  # on_failure committed once, with it
        assert probe.runs == ["doomed"]  # the job itself did not run again

        # A dead letter is a job to run again once its cause is fixed.
        assert await store_of(api).requeue_dead([job_id], record.next_attempt_at) == 1
        worker.jobs.relay.wake()  # type: ignore[union-attr]
        await eventually(dead, "the requeued job to fail again")
        assert probe.runs == ["doomed", "doomed"]


async def test_a_relay_whose_database_is_down_logs_the_outage_once_and_its_end(
    postgres_db: Database, proxy: TcpProxy, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="loom.outbox")
    factory = kernel_factory(postgres_db)
    through_proxy = {"database.url": through(postgres_db.url, proxy.port)}
    async with factory(**through_proxy, **{**PATIENT, "outbox.poll_interval": 0.02}) as kernel:
        proxy.cut()

        async def polls_failed() -> bool:
            return len(records(caplog, "loom.outbox", "still waiting")) >= 5

        await eventually(polls_failed, "several failed polls")
        proxy.restore()

        async def resumed() -> bool:
            return bool(records(caplog, "loom.outbox", "resumed after"))

        await eventually(resumed, "the relay to log its recovery")
        await kernel.drain()

    loud = [r for r in caplog.records if r.name == "loom.outbox" and r.levelno >= logging.INFO]
    [warning, recovery] = loud
    assert warning.levelno == logging.WARNING
    assert "is waiting: the database does not answer" in warning.getMessage()
    assert "messages wait in the outbox; trying again with backoff" in warning.getMessage()
    assert warning.exc_info is None  # no traceback for an outage
    assert recovery.levelno == logging.INFO
    assert "resumed after" in recovery.getMessage()
