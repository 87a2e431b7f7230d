"""Dispatch through the transactional outbox, run inline after commit, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from loom.core.bootstrap import Kernel
from loom.core.errors import JobError
from loom.core.job import JOB_TOPIC, InlineJobBackend, JobPublisher, JobRunner
from loom.core.job.service import JobService
from loom.core.outbox import Outbox, TopicRouter
from loom.testing import drain
from tests.integration.jobs.app import (
    CreateNoteUseCase,
    FlakyNoteJob,
    Note,
    OutageNoteJob,
    ReadNotesUseCase,
    RecordOutcome,
    WriteNoteJob,
)
from tests.integration.jobs.conftest import (
    KernelFactory,
    notes,
    outbox_rows,
    probe_of,
    store_of,
)
from tests.integration.jobs.helpers import CountingBackend

pytestmark = pytest.mark.integration


class Boom(Exception):
    """Makes a transaction roll back."""


async def test_a_job_dispatched_in_a_committed_transaction_runs_exactly_once(
    kernel: Kernel,
) -> None:
    note = await kernel.invoker.invoke(CreateNoteUseCase, payload={"text": "a"})
    assert note.text == "a"
    await kernel.drain()
    await drain(kernel)  # loom.testing's spelling; nothing left, nothing runs again
    assert probe_of(kernel).runs == ["job:a"]
    assert await notes(kernel) == ["a", "job:a"]
    assert (await kernel.jobs.relay.store.pending_count()) == 0  # type: ignore[union-attr]


async def test_a_rolled_back_dispatch_never_runs(kernel: Kernel) -> None:
    jobs = kernel.container.resolve(JobService)
    with pytest.raises(Boom):
        async with kernel.transaction():
            await kernel.invoker.entity(Note).create({"text": "rolled back"})
            jobs.dispatch(WriteNoteJob, payload={"text": "never"})
            raise Boom
    await kernel.drain()
    assert probe_of(kernel).runs == []
    assert await notes(kernel) == []
    assert await outbox_rows(kernel) == 0


async def test_dispatch_outside_a_transaction_says_what_to_do(kernel: Kernel) -> None:
    jobs = kernel.container.resolve(JobService)
    with pytest.raises(JobError, match=r"outside a transaction.*dispatch_now") as caught:
        jobs.dispatch(WriteNoteJob, payload={"text": "x"})
    assert caught.value.code == "no_transaction"
    handle = await jobs.dispatch_now(WriteNoteJob, payload={"text": "now"})
    assert handle.queue == "notes"
    await kernel.drain()
    assert await notes(kernel) == ["now"]


async def test_a_read_only_use_case_cannot_dispatch(kernel: Kernel) -> None:
    with pytest.raises(JobError, match="read_only = True"):
        await kernel.invoker.invoke(ReadNotesUseCase)
    assert await outbox_rows(kernel) == 0


async def test_an_idempotency_key_makes_one_job_of_many_dispatches(kernel: Kernel) -> None:
    jobs = kernel.container.resolve(JobService)
    handles = []
    for _ in range(2):
        async with kernel.transaction():
            handles.append(jobs.dispatch(WriteNoteJob, payload={"text": "k"}, idempotency_key="k1"))
            handles.append(jobs.dispatch(WriteNoteJob, payload={"text": "k"}, idempotency_key="k1"))
        await kernel.drain()
    assert len({h.job_id for h in handles}) == 1
    assert await outbox_rows(kernel) == 1
    assert probe_of(kernel).runs == ["k"]


async def test_run_returns_the_result_inline(kernel: Kernel) -> None:
    jobs = kernel.container.resolve(JobService)
    assert await jobs.run(WriteNoteJob, payload={"text": "inline"}) == "inline"
    assert await notes(kernel) == ["inline"]
    assert await outbox_rows(kernel) == 0


async def test_a_failing_job_is_retried_then_succeeds_with_its_callback(kernel: Kernel) -> None:
    probe = probe_of(kernel)
    probe.failures_left = 1
    jobs = kernel.container.resolve(JobService)
    handle = await jobs.dispatch_now(
        FlakyNoteJob,
        payload={"text": "flaky"},
        on_success=RecordOutcome,
        on_failure=RecordOutcome,
    )
    await kernel.drain()
    assert probe.runs == ["flaky", "flaky"]
    assert await notes(kernel) == ["flaky"]  # the failed attempt rolled back its note
    assert probe.outcomes == [("success", handle.job_id, "flaky", {"text": "flaky"})]


async def test_a_job_failing_every_retry_reaches_on_failure_with_the_error(
    kernel: Kernel,
) -> None:
    probe = probe_of(kernel)
    probe.failures_left = 10
    jobs = kernel.container.resolve(JobService)
    handle = await jobs.dispatch_now(
        FlakyNoteJob, params={"tag": 7}, payload={"text": "doomed"}, on_failure=RecordOutcome
    )
    await kernel.drain()
    assert len(probe.runs) == 3  # one attempt and __retries__ = 2
    assert await notes(kernel) == []
    [(kind, job_id, error, context)] = probe.outcomes
    assert (kind, job_id, context) == ("failure", handle.job_id, {"tag": 7, "text": "doomed"})
    assert "flaky failure writing 'doomed'" in error
    # The job is a dead letter: the outbox's dead row, with its error, ready to be requeued.
    record = await store_of(kernel).get(handle.job_id)
    assert record is not None
    assert (record.status, record.attempts) == ("dead", 3)
    assert record.last_error == "RuntimeError: flaky failure writing 'doomed'"
    assert await store_of(kernel).status_counts() == {"pending": 0, "sent": 0, "dead": 1}


async def test_an_outage_inside_a_job_is_waited_out_and_never_counted_as_its_failure(
    kernel: Kernel,
) -> None:
    probe = probe_of(kernel)
    probe.outages_left = 3  # more than the job's retries (none)
    jobs = kernel.container.resolve(JobService)
    handle = await jobs.dispatch_now(
        OutageNoteJob,
        payload={"text": "patient"},
        on_success=RecordOutcome,
        on_failure=RecordOutcome,
    )
    await kernel.drain()
    assert probe.runs == ["patient"] * 4  # three attempts met the outage, none counted
    assert await notes(kernel) == ["patient"]  # their writes rolled back; the fourth committed
    assert probe.outcomes == [("success", handle.job_id, "patient", {"text": "patient"})]
    record = await store_of(kernel).get(handle.job_id)
    assert record is not None
    assert (record.status, record.attempts, record.last_error) == ("sent", 0, None)


async def test_a_broker_that_is_down_delays_the_job_and_never_loses_it(
    make_kernel: KernelFactory,
) -> None:
    async with make_kernel() as kernel:
        relay = kernel.jobs.relay
        assert relay is not None
        assert isinstance(relay.publisher, TopicRouter)
        runner = JobRunner(kernel)
        down = CountingBackend(InlineJobBackend(runner), failures=3)
        relay.publisher.routes[JOB_TOPIC] = JobPublisher(down)
        note = await kernel.invoker.invoke(CreateNoteUseCase, payload={"text": "b"})
        assert note.text == "b"  # the committed request did not fail
        await kernel.drain()
        assert down.failures == 0
        assert len(down.delivered) == 1
        assert await notes(kernel) == ["b", "job:b"]
        record = await relay.store.get(down.delivered[0])
        assert record is not None
        assert (record.status, record.attempts) == ("sent", 3)
        assert record.last_error is not None
        assert "ConnectionError" in record.last_error


async def test_a_countdown_holds_the_job_back(make_kernel: KernelFactory) -> None:
    async with make_kernel(**{"outbox.enabled": False}) as kernel:
        jobs = kernel.container.resolve(JobService)
        handle = await jobs.dispatch_now(WriteNoteJob, payload={"text": "later"}, countdown=3600)
        relay = kernel.jobs.relay
        assert relay is not None
        assert await relay.run_once() == 0
        record = await relay.store.get(handle.job_id)
        assert record is not None
        assert record.status == "pending"


async def test_integration_events_reach_their_subscribers_after_commit(kernel: Kernel) -> None:
    seen: list[tuple[str, object]] = []

    async def handler(message_id: str, event: object) -> None:
        seen.append((message_id, event))

    kernel.jobs.events.subscribe("notes.created", handler)
    outbox = kernel.container.resolve(Outbox)
    async with kernel.transaction():
        message_id = outbox.publish({"text": "hello"}, topic="notes.created")
        assert seen == []
    await kernel.drain()
    assert seen == [(message_id, {"text": "hello"})]
