"""A small application for the job tests: notes, jobs that write them, a probe that counts."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from loom.core.command import Command
from loom.core.errors import UnavailableError
from loom.core.job.job import Job
from loom.core.job.service import JobService
from loom.core.model import BaseModel, ColumnField
from loom.core.use_case import Input
from loom.core.use_case.invoker import ApplicationInvoker
from loom.core.use_case.use_case import UseCase


class Note(BaseModel):
    """A row a job writes: one per applied run."""

    __tablename__ = "notes"
    id: int = ColumnField(primary_key=True, autoincrement=True)
    text: str = ColumnField(length=120)


class NoteText(Command, frozen=True):
    """The text of a note."""

    text: str


@dataclass
class Probe:
    """What the jobs and callbacks of one kernel did (registered in its container).

    Attributes:
        runs: Texts of every attempt that started, in order.
        failures_left: Attempts of ``FlakyNoteJob`` still to fail.
        outcomes: Callback calls, in order.
        gate: Gated jobs wait here (after recording their start) until it is set.
        started: Texts of the gated attempts that reached the gate.
        running: Gated attempts between the gate and their end, now.
        most_running: The largest ``running`` seen.
        outages_left: Attempts of ``OutageNoteJob`` still to meet a dependency that is down.
        failure_hook: Called once by the next ``FailureNote`` callback, before it writes.
    """

    runs: list[str] = field(default_factory=list)
    failures_left: int = 0
    outcomes: list[tuple[str, str, Any, dict[str, Any]]] = field(default_factory=list)
    gate: asyncio.Event = field(default_factory=asyncio.Event)
    started: list[str] = field(default_factory=list)
    running: int = 0
    most_running: int = 0
    outages_left: int = 0
    failure_hook: Callable[[], None] | None = None


class WriteNoteJob(Job[str]):
    """Writes a note with its text; returns the text."""

    __queue__ = "notes"

    def __init__(self, app: ApplicationInvoker, probe: Probe) -> None:
        self._app = app
        self._probe = probe

    async def execute(self, cmd: NoteText = Input()) -> str:
        self._probe.runs.append(cmd.text)
        await self._app.entity(Note).create({"text": cmd.text})
        return cmd.text


class OnceNoteJob(WriteNoteJob):
    """``WriteNoteJob`` that applies once per job id, however often it is delivered."""

    __idempotent__ = True


class FlakyNoteJob(WriteNoteJob):
    """Fails while the probe has failures left, after writing its note (rolled back)."""

    __retries__ = 2

    async def execute(self, cmd: NoteText = Input()) -> str:
        await super().execute(cmd)
        if self._probe.failures_left > 0:
            self._probe.failures_left -= 1
            raise RuntimeError(f"flaky failure writing {cmd.text!r}")
        return cmd.text


class GatedNoteJob(WriteNoteJob):
    """``WriteNoteJob`` that waits at the probe's gate before writing."""

    async def execute(self, cmd: NoteText = Input()) -> str:
        probe = self._probe
        probe.started.append(cmd.text)
        probe.running += 1
        probe.most_running = max(probe.most_running, probe.running)
        try:
            await probe.gate.wait()
            return await super().execute(cmd)
        finally:
            probe.running -= 1


class GatedOnceNoteJob(GatedNoteJob):
    """``GatedNoteJob`` applying its effect once per job id."""

    __idempotent__ = True


class OutageNoteJob(WriteNoteJob):
    """Meets a dependency that does not answer while the probe has outages left."""

    async def execute(self, cmd: NoteText = Input()) -> str:
        await super().execute(cmd)
        if self._probe.outages_left > 0:
            self._probe.outages_left -= 1
            raise UnavailableError("the search index does not answer (simulated)")
        return cmd.text


class DoomedNoteJob(WriteNoteJob):
    """Always fails, without retries."""

    async def execute(self, cmd: NoteText = Input()) -> str:
        self._probe.runs.append(cmd.text)
        raise RuntimeError(f"doomed: {cmd.text}")


class FailureNote:
    """Failure callback writing a ``failure:<text>`` note in the dead letter's transaction.

    It first calls the probe's ``failure_hook`` (once), so a test can break the database right
    while the failure is being recorded.
    """

    def __init__(self, app: ApplicationInvoker, probe: Probe) -> None:
        self._app = app
        self._probe = probe

    async def on_failure(self, job_id: str, error: Any, **context: Any) -> None:
        hook, self._probe.failure_hook = self._probe.failure_hook, None
        if hook is not None:
            hook()
        await self._app.entity(Note).create({"text": f"failure:{context['text']}"})


class RecordOutcome:
    """Success and failure callback writing to the probe."""

    def __init__(self, probe: Probe) -> None:
        self._probe = probe

    async def on_success(self, job_id: str, result: Any, **context: Any) -> None:
        self._probe.outcomes.append(("success", job_id, result, context))

    async def on_failure(self, job_id: str, error: Any, **context: Any) -> None:
        self._probe.outcomes.append(("failure", job_id, str(error), context))


class CreateNoteUseCase(UseCase[Note, Note]):
    """Creates a note and dispatches a job writing a second one."""

    def __init__(self, jobs: JobService) -> None:
        self._jobs = jobs

    async def execute(self, cmd: NoteText = Input()) -> Note:
        note = await self.main_repo.create(cmd)
        self._jobs.dispatch(WriteNoteJob, payload={"text": f"job:{cmd.text}"})
        return note


class ReadNotesUseCase(UseCase[Note, int]):
    """A read-only use case that (wrongly) dispatches a job."""

    read_only = True

    def __init__(self, jobs: JobService) -> None:
        self._jobs = jobs

    async def execute(self) -> int:
        self._jobs.dispatch(WriteNoteJob, payload={"text": "never"})
        return 0
