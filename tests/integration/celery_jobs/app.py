"""The application the Celery tests run in a worker process: notes written by jobs.

Jobs coordinate with the test through files in a directory the test names (``flags``): they
leave ``started.<pid>`` or ``callback.<pid>`` marks and wait for ``release``, so a test can kill
a worker while a job is blocked at a known point.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from loom.core.command import Command
from loom.core.job.job import Job
from loom.core.job.service import JobHandle, JobService
from loom.core.model import BaseModel, ColumnField
from loom.core.use_case import Input
from loom.core.use_case.invoker import ApplicationInvoker
from loom.core.use_case.use_case import UseCase

RELEASE_TIMEOUT = 30.0


class Note(BaseModel):
    """A row written by a request, a job run or a callback."""

    __tablename__ = "celery_notes"
    id: int = ColumnField(primary_key=True, autoincrement=True)
    text: str = ColumnField(length=300)


class NoteJobCommand(Command, frozen=True):
    """What a note job is told.

    Attributes:
        text: The note to write.
        flags: Directory of coordination files (see the module docstring).
        block: ``"job"`` waits for ``release`` inside the job, ``"callback"`` in its success
            callback, ``"failure"`` in its failure callback.
        fail_times: Attempts that fail before one succeeds (counted in ``flags``).
    """

    text: str
    flags: str | None = None
    block: str | None = None
    fail_times: int = 0


async def wait_for_release(flags: str, mark: str) -> None:
    """Leave ``<mark>.<pid>`` in ``flags``, then wait until ``release`` exists there."""
    folder = Path(flags)
    (folder / f"{mark}.{os.getpid()}").touch()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + RELEASE_TIMEOUT
    while not (folder / "release").exists():
        if loop.time() > deadline:
            raise TimeoutError(f"nobody created {folder / 'release'}")
        await asyncio.sleep(0.02)


class WriteNoteJob(Job[str]):
    """Writes its text as a note; returns the text."""

    __queue__ = "notes"

    def __init__(self, app: ApplicationInvoker) -> None:
        self._app = app

    async def execute(self, cmd: NoteJobCommand = Input()) -> str:
        if cmd.flags and cmd.block == "job":
            await wait_for_release(cmd.flags, "started")
        await self._app.entity(Note).create({"text": cmd.text})
        return cmd.text


class OnceNoteJob(WriteNoteJob):
    """``WriteNoteJob`` applying its effect once per job id, however often it is delivered."""

    __idempotent__ = True


class FlakyNoteJob(WriteNoteJob):
    """Fails its first ``fail_times`` attempts; two retries, 50 ms apart at first."""

    __retries__ = 2
    __retry_backoff__ = 0.05

    async def execute(self, cmd: NoteJobCommand = Input()) -> str:
        assert cmd.flags is not None
        attempts = Path(cmd.flags) / f"attempts-{cmd.text}"
        with attempts.open("a") as log:
            log.write(f"{os.getpid()}\n")
        if len(attempts.read_text().splitlines()) <= cmd.fail_times:
            raise RuntimeError(f"flaky failure of {cmd.text!r}")
        return await super().execute(cmd)


class NoteOutcome:
    """Callbacks writing ``success:<result>`` or ``failure:<error>`` notes."""

    def __init__(self, app: ApplicationInvoker) -> None:
        self._app = app

    async def on_success(self, job_id: str, result: Any, **context: Any) -> None:
        if context.get("block") == "callback":
            await wait_for_release(str(context["flags"]), "callback")
        await self._app.entity(Note).create({"text": f"success:{result}"})

    async def on_failure(self, job_id: str, error: Any, **context: Any) -> None:
        if context.get("block") == "failure":
            await wait_for_release(str(context["flags"]), "failure")
        await self._app.entity(Note).create({"text": f"failure:{error}"})


JOBS: dict[str, type[WriteNoteJob]] = {
    "write": WriteNoteJob,
    "once": OnceNoteJob,
    "flaky": FlakyNoteJob,
}


class DispatchNote(Command, frozen=True):
    """A request: a note now, and a job of kind ``job`` writing ``text`` after commit."""

    text: str
    job: str = "write"
    flags: str | None = None
    block: str | None = None
    fail_times: int = 0
    callbacks: bool = False


class DispatchNoteUseCase(UseCase[Note, JobHandle]):
    """Writes ``request:<text>`` and dispatches the job in the same transaction."""

    def __init__(self, jobs: JobService) -> None:
        self._jobs = jobs

    async def execute(self, cmd: DispatchNote = Input()) -> JobHandle:
        await self.main_repo.create({"text": f"request:{cmd.text}"})
        return self._jobs.dispatch(
            JOBS[cmd.job],
            payload={
                "text": cmd.text,
                "flags": cmd.flags,
                "block": cmd.block,
                "fail_times": cmd.fail_times,
            },
            on_success=NoteOutcome if cmd.callbacks else None,
            on_failure=NoteOutcome if cmd.callbacks else None,
        )
