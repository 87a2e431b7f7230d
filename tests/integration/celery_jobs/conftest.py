"""Fixtures of the Celery tests: a private queue, a config file, workers, the API-side kernel."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from loom.core.bootstrap import Kernel, create_kernel
from loom.core.repository.sqlalchemy import SQLAlchemyOutboxStore
from tests.conftest import Database
from tests.integration.celery_jobs.broker import delete_queues
from tests.integration.celery_jobs.worker import WorkerProcess
from tests.integration.jobs.conftest import applied_job_ids
from tests.integration.jobs.helpers import eventually

__all__ = ["APP_MODULE", "CeleryStage", "applied_job_ids", "eventually", "note_texts", "store_of"]

APP_MODULE = "tests.integration.celery_jobs.app"


def celery_config(
    db: Database,
    broker_url: str,
    queue: str,
    *,
    include: Path | None = None,
    database_url: str | None = None,
) -> dict[str, Any]:
    """The config of the test app (or, with ``include``, of that file) on ``db`` and ``queue``.

    ``database_url`` reaches ``db`` another way (through a proxy).
    """
    database: dict[str, Any] = {"url": database_url or db.url}
    if db.connect_args:
        database["connect_args"] = db.connect_args
    config: dict[str, Any] = {
        "database": database,
        "security": {"cursor_secret": "celery-tests"},
        "jobs": {"backend": "celery"},
        # Off here: the kernel under test runs the relay; the workers only consume.
        "outbox": {
            "enabled": False,
            "poll_interval": 0.2,
            "backoff_base": 0.05,
            "backoff_max": 0.2,
            "max_attempts": 1000,
        },
        "celery": {
            "broker_url": broker_url,
            # Every job of this test goes to the test's own queue.
            "task_routes": {"loom.job.*": {"queue": queue}},
            "worker_enable_remote_control": False,
        },
    }
    if include is not None:
        config["includes"] = [str(include)]
    else:
        config["app"] = {
            "name": "celery-tests",
            "discovery": {"mode": "modules", "modules": {"include": [APP_MODULE]}},
        }
    return config


@dataclass
class CeleryStage:
    """One test's broker queue, config file, coordination folder and processes."""

    db: Database
    broker_url: str
    queue: str
    folder: Path
    config: Path = field(init=False)
    flags: Path = field(init=False)
    workers: list[WorkerProcess] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.flags = self.folder / "flags"
        self.flags.mkdir()
        self.config = self.write_config("app.yaml")

    def write_config(
        self, name: str, include: Path | None = None, database_url: str | None = None
    ) -> Path:
        """Write a config file of this stage; return its path."""
        path = self.folder / name
        config = celery_config(
            self.db, self.broker_url, self.queue, include=include, database_url=database_url
        )
        path.write_text(yaml.safe_dump(config))
        return path

    async def start_worker(self, config: Path | None = None) -> WorkerProcess:
        """A new worker consuming this stage's queue (started and consuming)."""
        log = self.folder / f"worker-{len(self.workers)}.log"
        worker = WorkerProcess(config or self.config, self.queue, self.broker_url, log)
        self.workers.append(worker)
        return await asyncio.to_thread(worker.start)

    @contextlib.asynccontextmanager
    async def kernel(
        self, config: Path | None = None, overrides: dict[str, Any] | None = None
    ) -> AsyncIterator[Kernel]:
        """The API side: a kernel on the same config, with the relay on."""
        settings = {"outbox.enabled": True, **(overrides or {})}
        async with create_kernel(config or self.config, overrides=settings) as kernel:
            yield kernel

    def release(self) -> None:
        """Let blocked jobs and callbacks go on."""
        (self.flags / "release").touch()

    def marks(self, prefix: str) -> list[str]:
        """Coordination marks left by jobs (``started.<pid>``, ``callback.<pid>``)."""
        return sorted(p.name for p in self.flags.iterdir() if p.name.startswith(prefix + "."))


@pytest.fixture
def stage(postgres_db: Database, amqp_url: str, tmp_path: Path) -> Iterator[CeleryStage]:
    """A private queue and config on a PostgreSQL schema; workers stopped, queue deleted after."""
    queue = f"loom-test-{uuid.uuid4().hex[:12]}"
    staged = CeleryStage(postgres_db, amqp_url, queue, tmp_path)
    try:
        yield staged
    finally:
        for worker in staged.workers:
            worker.stop()
        delete_queues(amqp_url, queue)


def store_of(kernel: Kernel) -> SQLAlchemyOutboxStore:
    """The outbox store of ``kernel``."""
    assert kernel.jobs.relay is not None
    store = kernel.jobs.relay.store
    assert isinstance(store, SQLAlchemyOutboxStore)
    return store


async def note_texts(kernel: Kernel) -> list[str]:
    """Every note's text, sorted."""
    return sorted(await _column(kernel, "SELECT text FROM celery_notes"))


async def _column(kernel: Kernel, sql: str) -> list[str]:
    async with store_of(kernel).manager.engine.connect() as conn:
        return [str(value) for value in (await conn.scalars(sa.text(sql))).all()]
