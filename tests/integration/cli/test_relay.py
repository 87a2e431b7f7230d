"""``loom relay``: a process that relays the outbox until SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import yaml

from loom.core.bootstrap import create_kernel
from tests.integration.celery_jobs.app import DispatchNoteUseCase
from tests.integration.celery_jobs.conftest import eventually, note_texts, store_of

ROOT = Path(__file__).resolve().parents[3]


async def test_relay_delivers_a_pending_job_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    config = tmp_path / "app.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "app": {
                    "discovery": {"modules": {"include": ["tests.integration.celery_jobs.app"]}}
                },
                "database": {"url": f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"},
                "security": {"cursor_secret": "relay-test"},
                # The API process does not relay: the `loom relay` process does.
                "outbox": {"enabled": False, "poll_interval": 0.1},
            }
        )
    )
    async with create_kernel(config) as api:
        await api.invoker.invoke(DispatchNoteUseCase, payload={"text": "relayed"})
        assert await store_of(api).pending_count() == 1

        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")])}
        relay = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "loom.cli",
            "relay",
            str(config),
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:

            async def delivered() -> bool:
                assert relay.returncode is None, "the relay exited early"
                # The job's note commits first; the relay marks its row sent just after.
                ran = "relayed" in await note_texts(api)
                return ran and await store_of(api).pending_count() == 0

            await eventually(delivered, "the relay process to run the pending job")
        finally:
            relay.send_signal(signal.SIGTERM)
            async with asyncio.timeout(20):
                output, _ = await relay.communicate()
    assert relay.returncode == 0, output.decode()
    text = output.decode()
    assert "relaying the outbox" in text
    assert "loom relay: stopped" in text
