"""Faults around Celery: a broker outage, a worker killed mid-job, a relay dying after publish.

Nothing shared is stopped: the outage is a TCP proxy the test cuts, the dying worker is a
subprocess the test kills, and the relay dies through its crash hook.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from loom.core.bootstrap import Kernel
from loom.core.outbox import utc_now
from tests.faults import TcpProxy, through
from tests.integration.celery_jobs.app import DispatchNoteUseCase
from tests.integration.celery_jobs.broker import take_messages
from tests.integration.celery_jobs.conftest import (
    CeleryStage,
    applied_job_ids,
    eventually,
    note_texts,
    store_of,
)
from tests.integration.jobs.helpers import crash_once

pytestmark = pytest.mark.integration

OUTAGE_JOBS = 5


async def _dispatch(kernel: Kernel, text: str, **fields: object) -> str:
    handle = await kernel.invoker.invoke(DispatchNoteUseCase, payload={"text": text, **fields})
    return str(handle.job_id)


async def test_a_broker_outage_delays_the_jobs_committed_during_it_and_loses_none(
    stage: CeleryStage,
) -> None:
    await stage.start_worker()  # the worker reaches the broker directly; only the API is cut off
    with TcpProxy.for_url(stage.broker_url, 5672) as proxy:
        overrides = {"celery.broker_url": through(stage.broker_url, proxy.port)}
        async with stage.kernel(overrides=overrides) as kernel:
            before = await _dispatch(kernel, "before", job="once")
            await kernel.drain()  # published through the proxy: its connection is kept
            proxy.cut()

            during = [await _dispatch(kernel, f"during-{i}", job="once") for i in range(5)]
            store = store_of(kernel)

            async def each_delivery_failed() -> bool:
                records = [await store.get(job_id) for job_id in during]
                return all(r is not None and r.attempts >= 1 for r in records)

            await eventually(each_delivery_failed, "a failed publish of every job")
            assert await store.pending_count() == OUTAGE_JOBS
            texts = await note_texts(kernel)
            assert [t for t in texts if t.startswith("request:during")] == [
                f"request:during-{i}" for i in range(OUTAGE_JOBS)
            ]

            proxy.restore()
            await kernel.drain()

            async def all_ran() -> bool:
                return len(await applied_job_ids(kernel)) == OUTAGE_JOBS + 1

            await eventually(all_ran, "the jobs held back by the outage")
            assert await applied_job_ids(kernel) == sorted([before, *during])
            texts = await note_texts(kernel)
            assert [t for t in texts if not t.startswith("request:")] == sorted(
                ["before", *(f"during-{i}" for i in range(OUTAGE_JOBS))]
            )


async def test_a_job_whose_worker_is_killed_runs_again_on_the_next_worker(
    stage: CeleryStage,
) -> None:
    doomed = await stage.start_worker()
    async with stage.kernel() as kernel:
        await _dispatch(kernel, "plain", flags=str(stage.flags), block="job")
        await kernel.drain()

        async def started() -> bool:
            return len(stage.marks("started")) == 1

        await eventually(started, "the job to start on the first worker")
        doomed.kill()
        assert "plain" not in await note_texts(kernel)  # its transaction died with the worker

        stage.release()
        await stage.start_worker()

        async def ran_again() -> bool:
            return "plain" in await note_texts(kernel)

        await eventually(ran_again, "the job to run again on the second worker")
        assert len(stage.marks("started")) == 2  # two worker processes ran it
        assert (await note_texts(kernel)).count("plain") == 1


async def test_an_idempotent_job_redelivered_after_a_worker_dies_applies_once(
    stage: CeleryStage,
) -> None:
    doomed = await stage.start_worker()
    async with stage.kernel() as kernel:
        job_id = await _dispatch(
            kernel, "once", job="once", flags=str(stage.flags), block="callback", callbacks=True
        )
        await kernel.drain()

        async def in_callback() -> bool:
            return len(stage.marks("callback")) == 1

        await eventually(in_callback, "the job's callback to start on the first worker")
        # The job, its idempotency record and its callback share one transaction: a worker that
        # dies inside the callback has committed none of them.
        assert await applied_job_ids(kernel) == []
        doomed.kill()

        stage.release()
        await stage.start_worker()

        async def completed() -> bool:
            return "success:once" in await note_texts(kernel)

        await eventually(completed, "the redelivered job and its callback to complete")
        assert await applied_job_ids(kernel) == [job_id]
        texts = await note_texts(kernel)
        assert texts.count("once") == 1
        assert texts.count("success:once") == 1
        assert len(stage.marks("callback")) == 2  # the callback ran again, with the job
        assert await applied_job_ids(kernel) == [job_id]


async def test_a_relay_dying_between_publish_and_mark_publishes_again_with_the_same_id(
    stage: CeleryStage,
) -> None:
    async with stage.kernel() as kernel:  # no worker: the test reads the queue itself
        relay = kernel.jobs.relay
        assert relay is not None
        crashed, relay.crash_hook = crash_once()
        job_id = await _dispatch(kernel, "twice")

        async def crashed_after_publish() -> bool:
            return crashed == [job_id]

        await eventually(crashed_after_publish, "the relay to die after publishing")
        record = await store_of(kernel).get(job_id)
        assert record is not None
        assert record.status == "pending"

        # Time passes beyond the dead relay's claim; a relay delivers the message again.
        lease = relay.settings.lease
        relay.clock = lambda: utc_now() + timedelta(seconds=lease + 1)
        await kernel.drain()
        record = await store_of(kernel).get(job_id)
        assert record is not None
        assert record.status == "sent"

    messages = take_messages(stage.broker_url, stage.queue)
    assert [message.headers["id"] for message in messages] == [job_id, job_id]
    bodies = [json.loads(message.body)[0][0] for message in messages]
    assert [body["job_id"] for body in bodies] == [job_id, job_id]
    assert {body["payload"]["text"] for body in bodies} == {"twice"}
