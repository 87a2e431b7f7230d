"""One Celery task per job class; each delivery runs one attempt through the kernel's runner.

An attempt runs in the job's own transaction (with the ``__idempotent__`` ledger check), and
its ``on_success`` callback in a SAVEPOINT of the same transaction. What happens next depends on
how the attempt ended:

- it succeeded: the message is acknowledged;
- the job failed and has retries left (``__retries__``): a new message carrying the next
  ``attempt`` header is published after a backoff, then this one is acknowledged;
- a dependency did not answer (the database, the cache, the broker): the attempt does not count;
  the message is published again after an outage backoff (``outages`` header), outside the job's
  own retry budget;
- the job failed on its last attempt: its dead letter (the outbox's dead row) and ``on_failure``
  are written in one transaction, retried while the database does not answer; the message is
  acknowledged only once they are written.

A message is published again only through a publish the broker confirmed; if that publish fails,
the message is handed back to the broker (rejected with requeue), never dropped. A worker that
dies mid-job leaves its message unacknowledged, so it is delivered again.

Job classes tune retries with ``__retries__`` (extra attempts), ``__retry_backoff__`` (seconds
before the first retry, doubled each time) and ``__retry_backoff_max__`` (the longest wait).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec
from celery import Celery
from celery.exceptions import Reject, Retry

from loom.celery._settings import task_name
from loom.core.job import JobMessage, name_of
from loom.core.job._runner import retries_of
from loom.core.outbox import backoff_delay, is_unavailable

if TYPE_CHECKING:
    from loom.core.bootstrap import Kernel

T = TypeVar("T")

logger = logging.getLogger("loom.celery")

KernelCall = Callable[[Callable[["Kernel"], Coroutine[Any, Any, T]]], T]
"""Runs ``fn(kernel)`` on the worker kernel's event loop and returns its result."""


class Again(msgspec.Struct, frozen=True):
    """Publish ``message`` again in ``countdown`` seconds (the next attempt, or after an outage)."""

    message: JobMessage
    countdown: float


def retry_policy(job: type[Any]) -> tuple[int, float, float]:
    """``(retries, backoff, backoff_max)`` declared by a job class."""
    retries = retries_of(job)
    backoff = max(0.0, float(getattr(job, "__retry_backoff__", 1.0)))
    backoff_max = max(backoff, float(getattr(job, "__retry_backoff_max__", 60.0)))
    return retries, backoff, backoff_max


async def attempt(kernel: Kernel, job: type[Any], message: JobMessage) -> Again | None:
    """Run one attempt of ``message``; return what to publish next, or ``None`` when done.

    ``on_success`` runs inside the job's transaction; after the last failed attempt the dead
    letter and ``on_failure`` are written before this returns.
    """
    runner = kernel.jobs.runner
    assert runner is not None  # the kernel is started before tasks run
    retries, backoff, backoff_max = retry_policy(job)
    number = message.attempt
    try:
        await runner.attempt(job, message)
    except Exception as exc:
        if is_unavailable(exc):
            outages = message.outages + 1
            delay = runner.outage.delay(outages)
            logger.warning(
                "job %s (%s) is waiting: a dependency does not answer (%s); not counted as an "
                "attempt, delivered again in %.2fs",
                message.job_id,
                message.job,
                exc,
                delay,
            )
            return Again(message.with_headers(outages=outages), delay)
        if number <= retries:
            delay = backoff_delay(number, backoff, backoff_max)
            logger.warning(
                "job %s (%s) attempt %d of %d failed, retried in %.3fs: %r",
                message.job_id,
                message.job,
                number,
                retries + 1,
                delay,
                exc,
            )
            return Again(message.with_headers(attempt=number + 1, outages=0), delay)
        await runner.fail(message, exc, number)
    return None


def publish_again(task: Any, again: Again) -> Retry:
    """Publish ``again`` (confirmed by the broker) as the next delivery of ``task``'s message.

    Returns:
        The ``Retry`` to raise, so that Celery records a retry and acknowledges this message.

    Raises:
        Reject: The publish failed; the message goes back to the broker (requeued), so the
            job is delivered again rather than lost.
    """
    request = task.request
    signature = task.signature_from_request(
        request,
        args=(msgspec.to_builtins(again.message),),
        kwargs={},
        countdown=again.countdown,
        retries=(request.retries or 0) + 1,
    )
    try:
        # Publisher confirms are on (see celery_settings): this returns once the broker has it.
        signature.apply_async()
    except Exception as exc:
        logger.warning(
            "job %s (%s) could not be published again (%r); its message is handed back to the "
            "broker",
            again.message.job_id,
            again.message.job,
            exc,
        )
        raise Reject(exc, requeue=True) from exc
    return Retry(when=again.countdown, sig=signature)


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
        if message.version == 0 and "attempt" not in message.headers:
            # Written before messages carried headers: its retries were Celery's own.
            message = message.with_headers(attempt=int(task.request.retries or 0) + 1)
        again = call(lambda kernel: attempt(kernel, job, message))
        if again is not None:
            raise publish_again(task, again)

    run.__name__ = run.__qualname__ = job.__name__
    run.__doc__ = job.__doc__
    return app.task(
        name=name,
        bind=True,
        acks_late=True,
        reject_on_worker_lost=True,
        ignore_result=True,  # results go to callbacks, not to a result backend
    )(run)
