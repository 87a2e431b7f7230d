"""The relay on a real outbox table: ordering, backoff, dead letters, crashes, parallel relays."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from loom.core.bootstrap import Kernel
from loom.core.job import InlineJobBackend, JobPublisher, JobRunner
from loom.core.job.service import JobService
from loom.core.outbox import CrashHook, OutboxRelay, RelaySettings
from tests.integration.jobs.app import OnceNoteJob, WriteNoteJob
from tests.integration.jobs.conftest import KernelFactory, notes, probe_of, store_of
from tests.integration.jobs.helpers import CountingBackend, Crash, FakeClock, crash_once

pytestmark = pytest.mark.integration

QUIET = {"outbox.enabled": False}  # the kernel's own relay stays off; the tests drive theirs


def relay(
    kernel: Kernel,
    backend: CountingBackend,
    clock: FakeClock,
    crash_hook: CrashHook | None = None,
    **settings: Any,
) -> OutboxRelay:
    """A relay over the kernel's outbox table sending jobs to ``backend``."""
    return OutboxRelay(
        store_of(kernel),
        JobPublisher(backend),
        RelaySettings(**{"batch_size": 50, "lease": 30.0, **settings}),
        clock=clock,
        crash_hook=crash_hook,
    )


async def dispatch(kernel: Kernel, *texts: str, ordering_key: str | None = None) -> list[str]:
    """Dispatch one WriteNoteJob per text in one transaction; return the job ids."""
    jobs = kernel.container.resolve(JobService)
    async with kernel.transaction():
        return [
            jobs.dispatch(WriteNoteJob, payload={"text": t}, ordering_key=ordering_key).job_id
            for t in texts
        ]


async def test_jobs_sharing_an_ordering_key_leave_one_after_another(
    make_kernel: KernelFactory,
) -> None:
    async with make_kernel(**QUIET) as kernel:
        keyed = await dispatch(kernel, "k1", "k2", "k3", ordering_key="product:1")
        [free] = await dispatch(kernel, "free")
        backend, clock = CountingBackend(failures=1), FakeClock()
        sender = relay(kernel, backend, clock, backoff_base=10.0, backoff_max=10.0)

        assert await sender.run_once() == 2  # k1 (fails) and free; k2 waits behind k1
        assert backend.delivered == [free]
        assert await sender.run_once() == 0  # k1 is backing off and still blocks k2
        clock.advance(11)
        for _ in range(3):
            assert await sender.run_once() == 1
        assert backend.delivered == [free, *keyed]


async def test_failures_back_off_then_the_message_is_dead_lettered_with_its_error(
    make_kernel: KernelFactory,
) -> None:
    async with make_kernel(**QUIET) as kernel:
        [job_id] = await dispatch(kernel, "doomed")
        backend, clock = CountingBackend(failures=100), FakeClock()
        sender = relay(kernel, backend, clock, max_attempts=3, backoff_base=10.0)
        store = store_of(kernel)

        assert await sender.run_once() == 1
        first = await store.get(job_id)
        assert first is not None
        assert (first.status, first.attempts) == ("pending", 1)
        delay = (first.next_attempt_at - clock.now).total_seconds()
        assert 5.0 <= delay <= 10.0  # base 10s, half of it jittered
        assert await sender.run_once() == 0  # not due yet

        clock.advance(10)
        assert await sender.run_once() == 1
        second = await store.get(job_id)
        assert second is not None
        assert second.attempts == 2
        assert 10.0 <= (second.next_attempt_at - clock.now).total_seconds() <= 20.0  # doubled

        clock.advance(20)
        assert await sender.run_once() == 1
        dead = await store.get(job_id)
        assert dead is not None
        assert (dead.status, dead.attempts) == ("dead", 3)
        assert dead.last_error == "ConnectionError: broker unreachable (simulated)"
        assert await store.pending_count() == 0
        clock.advance(10_000)
        assert await sender.run_once() == 0
        assert backend.delivered == []


async def test_a_relay_crashing_between_publish_and_mark_delivers_again_with_the_same_id(
    make_kernel: KernelFactory,
) -> None:
    async with make_kernel(**QUIET) as kernel:
        [job_id] = await dispatch(kernel, "crash")
        backend, clock = CountingBackend(), FakeClock()
        crashed, hook = crash_once()
        first = relay(kernel, backend, clock, crash_hook=hook)
        with pytest.raises(Crash):
            await first.run_once()
        assert crashed == [job_id]

        second = relay(kernel, backend, clock)
        assert await second.run_once() == 0  # the dead relay's claim is still live
        clock.advance(31)  # past the lease
        assert await second.run_once() == 1
        assert backend.delivered == [job_id, job_id]
        record = await store_of(kernel).get(job_id)
        assert record is not None
        assert record.status == "sent"


async def test_an_idempotent_job_delivered_twice_applies_once(make_kernel: KernelFactory) -> None:
    async with make_kernel(**QUIET) as kernel:
        jobs = kernel.container.resolve(JobService)
        handle = await jobs.dispatch_now(OnceNoteJob, payload={"text": "once"})
        assert kernel.jobs.runner is not None
        backend = CountingBackend(InlineJobBackend(JobRunner(kernel, kernel.jobs.runner.ledger)))
        clock = FakeClock()
        _, hook = crash_once()
        with pytest.raises(Crash):
            await relay(kernel, backend, clock, crash_hook=hook).run_once()
        clock.advance(31)
        assert await relay(kernel, backend, clock).run_once() == 1
        assert backend.delivered == [handle.job_id, handle.job_id]
        assert probe_of(kernel).runs == ["once"]
        assert await notes(kernel) == ["once"]


async def test_two_relays_in_parallel_never_send_a_row_twice(
    make_pg_kernel: KernelFactory,
) -> None:
    async with make_pg_kernel(**QUIET) as kernel:
        ids: list[str] = []
        for chunk in range(4):
            ids += await dispatch(kernel, *(f"n{chunk}-{i}" for i in range(50)))
        backend, clock = CountingBackend(), FakeClock()
        relays = [relay(kernel, backend, clock, batch_size=7) for _ in range(2)]

        async def work(sender: OutboxRelay) -> int:
            rounds = 0
            while await sender.run_once():
                rounds += 1
            return rounds

        rounds = await asyncio.gather(*(work(sender) for sender in relays))
        assert sorted(backend.delivered) == sorted(ids)  # 200 rows, each exactly once
        assert all(r > 0 for r in rounds)  # both relays did part of the work
        assert await store_of(kernel).pending_count() == 0


async def test_the_relay_loop_survives_a_storage_error(
    kernel: Kernel, monkeypatch: pytest.MonkeyPatch
) -> None:
    relay_ = kernel.jobs.relay
    assert relay_ is not None
    store = relay_.store
    real_claim = store.claim
    failures = [1]

    async def flaky_claim(*args: Any) -> Any:
        if failures[0]:
            failures[0] -= 1
            raise ConnectionError("database restarting (simulated)")
        return await real_claim(*args)

    monkeypatch.setattr(store, "claim", flaky_claim)
    await dispatch(kernel, "survivor")
    await kernel.drain()
    assert failures == [0]
    assert await notes(kernel) == ["survivor"]
