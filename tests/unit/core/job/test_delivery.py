"""The job message's version and headers, outages inside jobs, and dead letters (no database)."""

from __future__ import annotations

import pytest

from loom.core.job import (
    JOB_MESSAGE_VERSION,
    JobMessage,
    JobRunner,
    MemoryJobLedger,
    decode_job,
    name_of,
)
from loom.core.job.service import JobService
from loom.core.outbox import Backoff, MemoryOutboxStore, Outbox, OutboxMessage, utc_now
from loom.core.trace import current_trace_id
from loom.core.transaction import UnitOfWork
from loom.core.transaction._uow import _reset_current, _set_current
from tests.unit.core.job.fakes import AddJob, Host, Outcome

QUICK = Backoff(base=0.001, ceiling=0.002)


@pytest.fixture
def host() -> Host:
    return Host()


def runner_of(host: Host, store: MemoryOutboxStore | None = None) -> JobRunner:
    return JobRunner(host, MemoryJobLedger(), dead_letters=store, outage=QUICK)


async def test_a_dispatched_message_is_versioned_and_carries_attempt_and_trace_headers(
    host: Host,
) -> None:
    store = MemoryOutboxStore()
    service = JobService(host, Outbox(store), runner_of(host))
    uow = UnitOfWork()
    tokens = (_set_current(uow), current_trace_id.set("req-42"))
    try:
        service.dispatch(AddJob, params={"a": 1})
        await uow.run_before_commit()
    finally:
        current_trace_id.reset(tokens[1])
        _reset_current(tokens[0])
    [stored] = await store.claim("t", 1, utc_now(), 1)
    message = decode_job(stored.body)
    assert message.version == JOB_MESSAGE_VERSION == 1
    assert message.headers == {"attempt": 1, "trace_id": "req-42"}

    await runner_of(host).deliver(message)
    assert host.calls.trace_ids == ["req-42"]  # the job logs under the request's trace id


async def test_a_message_written_before_versions_and_headers_still_runs(host: Host) -> None:
    legacy = (
        b'{"job_id":"old","job":"' + name_of(AddJob).encode() + b'","queue":"math",'
        b'"params":{"a":2,"b":3},"payload":null,"on_success":null,"on_failure":null}'
    )
    message = decode_job(legacy)
    assert (message.version, message.headers, message.attempt) == (0, {}, 1)
    await runner_of(host).deliver(message)
    assert host.calls.runs == [5]


async def test_a_message_from_a_newer_writer_keeps_unknown_headers_and_runs(host: Host) -> None:
    newer = (
        b'{"job_id":"new","job":"' + name_of(AddJob).encode() + b'","queue":"math",'
        b'"params":{"a":1},"version":2,"headers":{"attempt":1,"tenant":"acme"},'
        b'"not_known_yet":true}'
    )
    message = decode_job(newer)
    assert message.headers["tenant"] == "acme"
    assert message.with_headers(attempt=2).headers == {"attempt": 2, "tenant": "acme"}
    await runner_of(host).deliver(message)
    assert host.calls.runs == [1]


async def test_an_outage_inside_a_job_is_not_an_attempt_and_the_job_runs_after_it(
    host: Host,
) -> None:
    host.calls.outages = 4  # AddJob allows one retry: outages must not spend it
    message = JobMessage(
        job_id="j", job=name_of(AddJob), queue="q", params={"a": 1}, on_failure=name_of(Outcome)
    )
    await runner_of(host).deliver(message)
    assert host.calls.runs == [1] * 5
    assert host.calls.outcomes == []  # never the job's failure


async def test_an_exhausted_job_becomes_a_dead_letter_even_after_the_database_was_down(
    host: Host,
) -> None:
    store = MemoryOutboxStore()
    host.calls.fail = 2  # both attempts fail
    message = JobMessage(
        job_id="doomed",
        job=name_of(AddJob),
        queue="q",
        params={"a": 1},
        on_failure=name_of(Outcome),
        version=JOB_MESSAGE_VERSION,
        headers={"attempt": 1},
    )
    # Both attempts' transactions open; the next three (recording the failure) are refused.
    host.up_for, host.down = 2, 3
    await runner_of(host, store).deliver(message)
    record = await store.get("doomed")
    assert record is not None
    assert (record.status, record.attempts, record.last_error) == (
        "dead",
        2,
        "ValueError: no sums today",
    )
    assert host.down == 0  # three refused transactions were waited out
    assert host.calls.outcomes == [("failed", "doomed", "no sums today", {"a": 1})]
    [requeued] = await _requeued(store)
    again = decode_job(requeued.body)  # requeued, it starts from its first attempt
    assert (again.job_id, again.attempt) == ("doomed", 1)


async def _requeued(store: MemoryOutboxStore) -> list[OutboxMessage]:
    assert await store.requeue_dead(None, utc_now()) == 1
    return await store.claim("t", 1, utc_now(), 1)


async def test_a_message_carrying_a_later_attempt_has_fewer_retries_left(host: Host) -> None:
    host.calls.fail = 5
    message = JobMessage(
        job_id="j", job=name_of(AddJob), queue="q", params={"a": 1}, headers={"attempt": 2}
    )
    await runner_of(host).deliver(message)
    assert host.calls.runs == [1]  # attempt 2 of 2: no retry left
