"""JobService, JobRunner and the job backends without a database (in-memory fakes)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import msgspec
import pytest

import loom.core.job as job_pkg
from loom.core.errors import JobError
from loom.core.job import (
    ClassRegistry,
    JobMessage,
    JobPublisher,
    JobRunner,
    MemoryJobLedger,
    RecordingJobBackend,
    decode_job,
    name_of,
)
from loom.core.job.service import JobService
from loom.core.outbox import OUTBOX_ENTITY, MemoryOutboxStore, Outbox, OutboxMessage, utc_now
from loom.core.transaction import UnitOfWork
from loom.core.transaction._uow import _reset_current, _set_current
from tests.unit.core.job.fakes import AddJob, Host, OnceJob, Outcome


@contextlib.contextmanager
def unit_of_work(read_only: bool = False) -> Iterator[UnitOfWork]:
    uow = UnitOfWork(read_only=read_only)
    token = _set_current(uow)
    try:
        yield uow
    finally:
        _reset_current(token)


@pytest.fixture
def host() -> Host:
    return Host()


@pytest.fixture
def store() -> MemoryOutboxStore:
    return MemoryOutboxStore()


@pytest.fixture
def service(host: Host, store: MemoryOutboxStore) -> JobService:
    return JobService(host, Outbox(store), JobRunner(host, MemoryJobLedger()), default_queue="dq")


async def _stored(store: MemoryOutboxStore, limit: int = 10) -> list[OutboxMessage]:
    return await store.claim("t", limit, utc_now(), 1)


async def test_dispatch_waits_for_the_commit_then_writes_one_row(
    service: JobService, store: MemoryOutboxStore
) -> None:
    with unit_of_work() as uow:
        handle = service.dispatch(
            AddJob, params={"a": 1}, payload={"b": 2}, on_success=Outcome, ordering_key="k"
        )
        assert await store.pending_count() == 0
        await uow.run_before_commit()
    assert handle.queue == "math"
    assert await store.pending_count() == 1
    assert [e.entity for e in uow.events] == [OUTBOX_ENTITY]
    [message] = await _stored(store)
    assert (message.id, message.ordering_key) == (handle.job_id, "k")
    job = decode_job(message.body)
    assert (job.job, job.params, job.payload) == (name_of(AddJob), {"a": 1}, {"b": 2})
    assert job.on_success == name_of(Outcome)
    assert job.context == {"a": 1, "b": 2}


async def test_dispatch_outside_or_in_a_read_only_transaction_is_refused(
    service: JobService,
) -> None:
    with pytest.raises(JobError, match="dispatch_now") as caught:
        service.dispatch(AddJob, params={"a": 1})
    assert caught.value.code == "no_transaction"
    with unit_of_work(read_only=True), pytest.raises(JobError, match="read_only"):
        service.dispatch(AddJob, params={"a": 1})


async def test_an_idempotency_key_gives_the_same_job_id(
    service: JobService, store: MemoryOutboxStore
) -> None:
    ids = set()
    for _ in range(2):
        with unit_of_work() as uow:
            ids.add(service.dispatch(AddJob, params={"a": 1}, idempotency_key="x").job_id)
            ids.add(service.dispatch(AddJob, params={"a": 1}, idempotency_key="x").job_id)
            await uow.run_before_commit()
    assert len(ids) == 1
    assert await store.pending_count() == 1


@pytest.mark.parametrize(
    ("job", "kwargs", "match"),
    [
        (int, {}, "is not a job"),
        (AddJob, {"on_success": object}, "async def on_success"),
        (AddJob, {"params": {"a": object()}}, "JSON-able"),
    ],
)
def test_bad_dispatches_name_the_fix(
    service: JobService, job: Any, kwargs: dict[str, Any], match: str
) -> None:
    with unit_of_work(), pytest.raises(JobError, match=match):
        service.dispatch(job, **kwargs)


async def test_a_job_is_retried_then_its_callback_gets_the_result(host: Host) -> None:
    runner = JobRunner(host)
    host.calls.fail = 1
    message = JobMessage(
        job_id="j1",
        job=name_of(AddJob),
        queue="q",
        params={"a": 2, "b": 3},
        on_success=name_of(Outcome),
        on_failure=name_of(Outcome),
    )
    await runner.deliver(message)
    assert host.calls.runs == [5, 5]
    assert host.calls.outcomes == [("ok", "j1", 5, {"a": 2, "b": 3})]


async def test_a_job_failing_every_attempt_reaches_on_failure(host: Host) -> None:
    host.calls.fail = 5
    message = JobMessage(
        job_id="j2", job=name_of(AddJob), queue="q", params={"a": 1}, on_failure=name_of(Outcome)
    )
    await JobRunner(host).deliver(message)
    assert host.calls.outcomes == [("failed", "j2", "no sums today", {"a": 1})]


async def test_an_idempotent_job_applies_once_per_id(host: Host) -> None:
    runner = JobRunner(host, MemoryJobLedger())
    message = JobMessage(
        job_id="j3", job=name_of(OnceJob), queue="q", params={"a": 1}, on_success=name_of(Outcome)
    )
    await runner.deliver(message)
    await runner.deliver(message)
    assert host.calls.runs == [1]
    assert len(host.calls.outcomes) == 1


async def test_run_returns_the_result(service: JobService, host: Host) -> None:
    assert await service.run(AddJob, params={"a": 4, "b": 1}) == 5


async def test_the_recording_backend_refuses_then_records() -> None:
    backend = RecordingJobBackend(failures=1)
    body = msgspec.json.encode(JobMessage(job_id="j", job="m:J", queue="q"))
    publisher = JobPublisher(backend)
    with pytest.raises(ConnectionError):
        await publisher.publish(OutboxMessage(id="j", topic="loom.job", body=body))
    await publisher.publish(OutboxMessage(id="j", topic="loom.job", body=body))
    assert [m.job_id for m in backend.messages] == ["j"]


def test_the_registry_imports_by_name_and_names_what_is_missing() -> None:
    registry = ClassRegistry()
    assert registry.resolve(name_of(AddJob)) is AddJob
    with pytest.raises(JobError, match="'nowhere:Gone' cannot be found"):
        registry.resolve("nowhere:Gone")


def test_exports_are_sorted_and_present() -> None:
    assert job_pkg.__all__ == sorted(job_pkg.__all__)
    assert all(hasattr(job_pkg, name) for name in job_pkg.__all__)
