"""A small application for the job tests: notes, jobs that write them, a probe that counts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from loom.core.command import Command
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
    """What the jobs and callbacks of one kernel did (registered in its container)."""

    runs: list[str] = field(default_factory=list)
    failures_left: int = 0
    outcomes: list[tuple[str, str, Any, dict[str, Any]]] = field(default_factory=list)


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
