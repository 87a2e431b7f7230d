"""A worker whose database is cut: jobs wait and run when it returns; failures still recorded.

The worker process reaches PostgreSQL through a TCP proxy the test cuts and restores; the API
side (the kernel under test, with the relay) reaches it directly, so jobs keep being published.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

import pytest

from loom.core.bootstrap import Kernel
from tests.faults import TcpProxy, through
from tests.integration.celery_jobs.app import DispatchNoteUseCase
from tests.integration.celery_jobs.conftest import (
    CeleryStage,
    applied_job_ids,
    eventually,
    note_texts,
    store_of,
)
from tests.integration.celery_jobs.worker import WorkerProcess

pytestmark = pytest.mark.integration

RECEIVED = re.compile(r"\[([0-9a-f]{32})\] received")
"""Celery's log line for a delivery taken by the worker (the group is the job id)."""


@pytest.fixture
def proxy(stage: CeleryStage) -> Iterator[TcpProxy]:
    """A proxy in front of the stage's PostgreSQL."""
    with TcpProxy.for_url(stage.db.url, 5432) as started:
        yield started


async def proxied_worker(stage: CeleryStage, proxy: TcpProxy) -> WorkerProcess:
    """A worker whose database connections go through ``proxy``."""
    config = stage.write_config("worker.yaml", database_url=through(stage.db.url, proxy.port))
    return await stage.start_worker(config)


async def _dispatch(kernel: Kernel, text: str, **fields: object) -> str:
    handle = await kernel.invoker.invoke(DispatchNoteUseCase, payload={"text": text, **fields})
    return str(handle.job_id)


async def test_jobs_reaching_a_worker_whose_database_is_cut_run_once_it_returns(
    stage: CeleryStage, proxy: TcpProxy
) -> None:
    worker = await proxied_worker(stage, proxy)
    async with stage.kernel() as kernel:
        proxy.cut()
        once = {await _dispatch(kernel, f"once-{i}", job="once"): f"once-{i}" for i in range(5)}
        plain = [f"plain-{i}" for i in range(5)]
        for text in plain:
            await _dispatch(kernel, text)
        await kernel.drain()  # all ten are in the broker

        async def each_received() -> bool:
            return len(set(RECEIVED.findall(worker.output()))) == 10

        await eventually(each_received, "every job to reach the worker during the outage")
        proxy.restore()
        dispatched = {*once.values(), *plain}

        async def all_ran() -> bool:
            texts = await note_texts(kernel)
            return {t for t in texts if not t.startswith("request:")} == dispatched

        await eventually(all_ran, "every job to run after the database returned")
        texts = Counter(t for t in await note_texts(kernel) if not t.startswith("request:"))
        assert set(texts) == dispatched  # nothing else ran (no failure callback either)
        assert all(texts[text] == 1 for text in once.values())  # idempotent effects once
        assert await applied_job_ids(kernel) == sorted(once)
        assert (await store_of(kernel).status_counts())["dead"] == 0
    output = worker.output()
    assert output.count("not counted as an attempt") >= 10
    assert "is a dead letter" not in output  # no job failed


async def test_a_job_failing_while_its_workers_database_goes_down_still_becomes_a_dead_letter(
    stage: CeleryStage, proxy: TcpProxy
) -> None:
    worker = await proxied_worker(stage, proxy)
    async with stage.kernel() as kernel:
        flags = str(stage.flags)
        job_id = await _dispatch(
            kernel,
            "doomed",
            job="flaky",
            flags=flags,
            fail_times=9,
            callbacks=True,
            block="failure",
        )
        await kernel.drain()

        async def in_failure_callback() -> bool:
            return len(stage.marks("failure")) == 1

        # Three attempts failed; the dead letter and on_failure are being written.
        await eventually(in_failure_callback, "the failure callback to start")
        proxy.cut()
        stage.release()

        async def recording_waits() -> bool:
            return "its dead letter waits for the database" in worker.output()

        await eventually(recording_waits, "the dead letter to wait for the database")
        record = await store_of(kernel).get(job_id)
        assert record is not None
        assert record.status == "sent"  # handed to the broker, not yet recorded as failed
        proxy.restore()

        async def dead() -> bool:
            found = await store_of(kernel).get(job_id)
            return found is not None and found.status == "dead"

        await eventually(dead, "the job to become a dead letter")
        record = await store_of(kernel).get(job_id)
        assert record is not None
        assert (record.attempts, record.last_error) == (
            3,
            "RuntimeError: flaky failure of 'doomed'",
        )
        texts = await note_texts(kernel)
        assert texts.count("failure:flaky failure of 'doomed'") == 1  # committed with the row
    # The job was not run again: three attempts, as its __retries__ = 2 allows.
    assert len((stage.flags / "attempts-doomed").read_text().splitlines()) == 3
