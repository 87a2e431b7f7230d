"""One Celery task per job class; each delivery runs one attempt through the kernel's runner.

An attempt runs in the job's own transaction (with the ``__idempotent__`` ledger check), and
its ``on_success`` callback in a SAVEPOINT of the same transaction. A failed attempt is retried
through Celery
(``task.retry``: a new message with the same task id, after a backoff) up to ``__retries__``
times; then ``on_failure`` runs. The message is acknowledged only after all of that, so a worker
that dies mid-job leaves it to be delivered again.

Job classes tune retries with ``__retries__`` (extra attempts), ``__retry_backoff__`` (seconds
before the first retry, doubled each time) and ``__retry_backoff_max__`` (the longest wait).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec
from celery import Celery

from loom.celery._settings import task_name
from loom.core.job import JobMessage, JobSettings, name_of
from loom.core.outbox import backoff_delay

if TYPE_CHECKING:
    from loom.core.bootstrap import Kernel

T = TypeVar("T")

logger = logging.getLogger("loom.celery")

KernelCall = Callable[[Callable[["Kernel"], Coroutine[Any, Any, T]]], T]
"""Runs ``fn(kernel)`` on the worker kernel's event loop and returns its result."""


def retry_policy(job: type[Any], settings: JobSettings | None = None) -> tuple[int, float, float]:
    """``(retries, backoff, backoff_max)`` of a job class (``jobs.<Name>.retries`` applied)."""
    retries = (settings or JobSettings()).retries(job)
    backoff = max(0.0, float(getattr(job, "__retry_backoff__", 1.0)))
    backoff_max = max(backoff, float(getattr(job, "__retry_backoff_max__", 60.0)))
    return retries, backoff, backoff_max


async def attempt(
    kernel: Kernel, job: type[Any], message: JobMessage, retries_done: int
) -> float | None:
    """Run one attempt of ``message``; return the delay before a retry, or ``None`` when done.

    ``on_success`` runs inside the job's transaction; ``on_failure`` after the last attempt.
    """
    runner = kernel.jobs.runner
    assert runner is not None  # the kernel is started before tasks run
    retries, backoff, backoff_max = retry_policy(job, runner.settings)
    try:
        await runner.execute(
            job,
            message.params,
            message.payload,
            job_id=message.job_id,
            then=runner.success_callback(message),
        )
    except Exception as exc:
        if retries_done < retries:
            delay = backoff_delay(retries_done + 1, backoff, backoff_max)
            logger.warning(
                "job %s (%s) attempt %d of %d failed, retried in %.3fs: %r",
                message.job_id,
                message.job,
                retries_done + 1,
                retries + 1,
                delay,
                exc,
            )
            return delay
        logger.warning(
            "job %s (%s) failed after %d attempt(s): %r",
            message.job_id,
            message.job,
            retries + 1,
            exc,
        )
        await runner.run_callback(message.on_failure, "on_failure", message, exc)
        return None
    return None


def register_job_task(app: Celery, call: KernelCall[Any], job: type[Any]) -> Any:
    """Register the task of ``job`` on ``app``; its deliveries run through ``call``."""
    name = task_name(job)
    expected = name_of(job)

    def run(task: Any, data: dict[str, Any]) -> None:
        message = msgspec.convert(data, JobMessage)
        if message.job != expected:
            # A message must run the class it names; a task name that points elsewhere is a
            # routing mistake to see, not a job to run as something else.
            raise ValueError(f"task {name} received a message of job {message.job!r}")
        retries_done = int(task.request.retries or 0)
        delay = call(lambda kernel: attempt(kernel, job, message, retries_done))
        if delay is not None:
            # attempt() already decided against the configured retries; never cap it again.
            raise task.retry(countdown=delay, max_retries=retries_done + 1)

    run.__name__ = run.__qualname__ = job.__name__
    run.__doc__ = job.__doc__
    return app.task(
        name=name,
        bind=True,
        acks_late=True,
        reject_on_worker_lost=True,
        ignore_result=True,  # results go to callbacks, not to a result backend
    )(run)
