"""What a relay logs when the outbox table is missing: one warning with the fix, then its end."""

from __future__ import annotations

import logging

import pytest

from loom.core.job.service import JobService
from tests.integration.jobs.app import WriteNoteJob
from tests.integration.jobs.conftest import KernelFactory, notes, store_of
from tests.integration.jobs.helpers import eventually

pytestmark = pytest.mark.integration


async def test_a_relay_without_its_table_logs_the_fix_once_then_its_recovery(
    make_kernel: KernelFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="loom.outbox")
    quick = {"outbox.poll_interval": 0.02, "outbox.backoff_max": 0.1}
    async with make_kernel(**{"database.schema": "none", **quick}) as kernel:

        def polls(text: str) -> list[logging.LogRecord]:
            return [r for r in caplog.records if r.name == "loom.outbox" and text in r.getMessage()]

        async def failing_polls() -> bool:
            return len(polls("still waiting")) >= 5

        await eventually(failing_polls, "several polls on the missing table")
        store = store_of(kernel)
        async with store.manager.engine.begin() as conn:  # what `schema: create_all` does
            await conn.run_sync(store.table.metadata.create_all)

        async def resumed() -> bool:
            return bool(polls("resumed after"))

        await eventually(resumed, "the relay to log its recovery")
        await kernel.container.resolve(JobService).dispatch_now(
            WriteNoteJob, payload={"text": "after"}
        )
        await kernel.drain()
        assert await notes(kernel) == ["after"]

    loud = [r for r in caplog.records if r.name == "loom.outbox" and r.levelno >= logging.INFO]
    [warning, recovery] = loud
    assert warning.levelno == logging.WARNING
    message = warning.getMessage()
    assert "the table 'loom_outbox' does not exist in the database" in message
    assert "run the migrations, or set `database.schema: create_all`" in message
    assert warning.exc_info is None  # one line, no traceback
    assert recovery.levelno == logging.INFO
    assert "resumed after" in recovery.getMessage()
