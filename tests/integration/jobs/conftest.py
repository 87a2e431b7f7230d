"""Fixtures: kernels of the job test app and of the store example, on the test database."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from loom.core.bootstrap import Components, Kernel
from loom.core.config import load_config
from loom.core.repository.sqlalchemy import SQLAlchemyOutboxStore
from tests.conftest import Database
from tests.integration.jobs.app import (
    CreateNoteUseCase,
    DoomedNoteJob,
    FlakyNoteJob,
    GatedNoteJob,
    GatedOnceNoteJob,
    Note,
    OnceNoteJob,
    OutageNoteJob,
    Probe,
    ReadNotesUseCase,
    WriteNoteJob,
)
from tests.integration.kernel.conftest import database_overrides

# Retries in tests wait microseconds, not seconds.
TINY_BACKOFF = {"outbox.backoff_base": 0.001, "outbox.backoff_max": 0.002}

KernelFactory = Callable[..., contextlib.AbstractAsyncContextManager[Kernel]]


def kernel_factory(db: Database) -> KernelFactory:
    """Start a kernel of the job app on ``db``: ``async with factory(**overrides) as k``."""

    @contextlib.asynccontextmanager
    async def factory(**overrides: Any) -> AsyncIterator[Kernel]:
        config = load_config(overrides={**database_overrides(db), **TINY_BACKOFF, **overrides})
        components = Components(
            models=[Note],
            use_cases=[CreateNoteUseCase, ReadNotesUseCase],
            jobs=[
                WriteNoteJob,
                OnceNoteJob,
                FlakyNoteJob,
                GatedNoteJob,
                GatedOnceNoteJob,
                OutageNoteJob,
                DoomedNoteJob,
            ],
        )
        kernel = Kernel(config, components)
        kernel.container.register(Probe, instance=Probe())
        async with kernel:
            yield kernel

    return factory


@pytest.fixture
def make_kernel(db: Database) -> KernelFactory:
    """Job-app kernels on SQLite and on PostgreSQL."""
    return kernel_factory(db)


@pytest.fixture
def make_pg_kernel(postgres_db: Database) -> KernelFactory:
    """Job-app kernels on PostgreSQL only (concurrent relays need row locks)."""
    return kernel_factory(postgres_db)


@pytest.fixture
async def kernel(make_kernel: KernelFactory) -> AsyncIterator[Kernel]:
    """A started job-app kernel with its relay running."""
    async with make_kernel() as started:
        yield started


def probe_of(kernel: Kernel) -> Probe:
    """The probe of ``kernel``."""
    return kernel.container.resolve(Probe)


def store_of(kernel: Kernel) -> SQLAlchemyOutboxStore:
    """The outbox store of ``kernel``."""
    relay = kernel.jobs.relay
    assert relay is not None
    store = relay.store
    assert isinstance(store, SQLAlchemyOutboxStore)
    return store


async def notes(kernel: Kernel) -> list[str]:
    """The texts of every note, in insertion order."""
    page = await kernel.invoker.entity(Note).list()
    return [note.text for note in sorted(page.items, key=lambda n: n.id)]


async def outbox_rows(kernel: Kernel) -> int:
    """Rows in the outbox table, whatever their status."""
    store = store_of(kernel)
    async with store.manager.engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(store.table)) or 0)


async def applied_job_ids(kernel: Kernel) -> list[str]:
    """Ids in the job ledger (runs of ``__idempotent__`` jobs that committed), sorted."""
    store = store_of(kernel)
    async with store.manager.engine.connect() as conn:
        rows = await conn.scalars(sa.text("SELECT job_id FROM loom_job_runs ORDER BY job_id"))
        return [str(job_id) for job_id in rows.all()]
