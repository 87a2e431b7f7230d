"""``task_always_eager``: the Celery backend runs jobs in the process, through the runner."""

from __future__ import annotations

from loom.celery import CeleryJobBackend
from loom.core.bootstrap import Components, Kernel
from loom.core.config import load_config
from tests.conftest import Database
from tests.integration.celery_jobs.app import DispatchNoteUseCase, Note, OnceNoteJob
from tests.integration.celery_jobs.conftest import note_texts
from tests.integration.kernel.conftest import database_overrides


async def test_an_eager_celery_backend_runs_jobs_and_callbacks_in_process(db: Database) -> None:
    config = load_config(
        overrides={
            **database_overrides(db),
            "jobs.backend": "celery",
            "celery": {"task_always_eager": True},
        }
    )
    components = Components(models=[Note], use_cases=[DispatchNoteUseCase], jobs=[OnceNoteJob])
    async with Kernel(config, components) as kernel:
        assert isinstance(kernel.jobs.backend, CeleryJobBackend)
        await kernel.invoker.invoke(
            DispatchNoteUseCase, payload={"text": "eager", "job": "once", "callbacks": True}
        )
        await kernel.drain()
        assert await note_texts(kernel) == ["eager", "request:eager", "success:eager"]
