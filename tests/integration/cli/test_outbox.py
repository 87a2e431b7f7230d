"""``loom outbox status`` and ``loom outbox requeue``: counts, and dead letters sent again."""

from __future__ import annotations

import asyncio
from pathlib import Path

import yaml
from typer.testing import CliRunner

from loom.cli import app
from loom.core.bootstrap import create_kernel
from loom.core.job import JobPublisher
from loom.core.outbox import OutboxRelay, RelaySettings
from tests.integration.celery_jobs.app import DispatchNoteUseCase
from tests.integration.celery_jobs.conftest import note_texts, store_of
from tests.integration.jobs.helpers import CountingBackend


def _config(tmp_path: Path) -> Path:
    config = tmp_path / "app.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "app": {
                    "discovery": {"modules": {"include": ["tests.integration.celery_jobs.app"]}}
                },
                "database": {"url": f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"},
                "security": {"cursor_secret": "outbox-cli-test"},
                "outbox": {"enabled": False},
            }
        )
    )
    return config


async def _dead_letters(config: Path, *texts: str) -> list[str]:
    """Dispatch one job per text and dead-letter each at its first failed hand-off."""
    async with create_kernel(config) as kernel:
        ids = [
            (await kernel.invoker.invoke(DispatchNoteUseCase, payload={"text": text})).job_id
            for text in texts
        ]
        failing = CountingBackend(failures=len(texts))
        relay = OutboxRelay(store_of(kernel), JobPublisher(failing), RelaySettings(max_attempts=1))
        assert await relay.run_once() == len(texts)
    return ids


async def _deliver(config: Path) -> list[str]:
    """Run what is pending with the application's own relay; return the job notes."""
    async with create_kernel(config) as kernel:
        await kernel.drain()
        return [text for text in await note_texts(kernel) if not text.startswith("request:")]


def _loom(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_status_counts_and_requeue_sends_dead_letters_again(tmp_path: Path) -> None:
    config = _config(tmp_path)
    first, _ = asyncio.run(_dead_letters(config, "first", "second"))
    assert _loom("outbox", "status", str(config)).splitlines() == [
        "pending: 0",
        "sent: 0",
        "dead: 2",
    ]

    output = _loom("outbox", "requeue", str(config), "--id", first, "--id", "nope")
    assert "requeued 1 dead message(s)" in output
    assert "1 id(s) were not dead letters" in output
    assert "pending: 1" in _loom("outbox", "status", str(config))
    assert asyncio.run(_deliver(config)) == ["first"]

    assert "requeued 1 dead message(s)" in _loom("outbox", "requeue", str(config), "--all")
    assert asyncio.run(_deliver(config)) == ["first", "second"]
    assert _loom("outbox", "status", str(config)).splitlines() == [
        "pending: 0",
        "sent: 2",
        "dead: 0",
    ]
    assert "requeued 0 dead message(s)" in _loom("outbox", "requeue", str(config), "--all")


def test_requeue_needs_all_or_ids(tmp_path: Path) -> None:
    config = _config(tmp_path)
    for extra in ([], ["--all", "--id", "x"]):
        result = CliRunner().invoke(app, ["outbox", "requeue", str(config), *extra])
        assert result.exit_code == 1
        assert "--all, or --id ID" in result.output
