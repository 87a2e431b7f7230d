"""``JobRunner``: one job execution: build, resolve markers, execute in a transaction, callbacks.

Each attempt builds the job through the container (constructor injection) and runs its compiled
plan in its own transaction. ``on_success`` runs in a SAVEPOINT of that same transaction, so the
job's effect, its idempotency record and its callback commit together: a worker that dies
between them leaves nothing half done, and a failing callback (logged) rolls back only itself.

An exception from ``execute`` is retried ``__retries__`` times; then the job becomes a dead
letter (the outbox's dead row) and ``on_failure`` runs, both in one transaction. A dependency
that does not answer (:func:`~loom.core.outbox.is_unavailable`) is never the job's failure: the
attempt is not counted, and it is made again, with backoff, once the dependency answers. Writing
the dead letter waits out an outage the same way, so a job that failed while the database was
down is still recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Any

import msgspec

from loom.core.job._message import JOB_MESSAGE_VERSION, JOB_TOPIC, JobMessage, encode_job
from loom.core.job._names import ClassRegistry, name_of
from loom.core.job._ports import JobHost, JobLedger
from loom.core.outbox import Backoff, OutboxMessage, OutboxStore, describe, is_unavailable, utc_now
from loom.core.trace import current_trace_id
from loom.core.transaction import Propagation
from loom.core.use_case import UseCasePlan, compile_use_case
from loom.core.use_case._plan import Payload

logger = logging.getLogger("loom.jobs")


class _Skipped:
    """The result of an idempotent job whose effect was already applied."""


SKIPPED = _Skipped()


class JobRunner:
    """Runs jobs and their callbacks through the kernel.

    Args:
        host: The kernel (container, transactions, repositories).
        ledger: Where ``__idempotent__`` jobs record their id (``None``: not supported).
        registry: Job and callback classes by name.
        dead_letters: The outbox store that keeps jobs whose retries are exhausted (``None``:
            they are only logged and handed to ``on_failure``).
        outage: How long to wait between tries while a dependency does not answer.
    """

    def __init__(
        self,
        host: JobHost,
        ledger: JobLedger | None = None,
        registry: ClassRegistry | None = None,
        *,
        dead_letters: OutboxStore | None = None,
        outage: Backoff | None = None,
    ) -> None:
        self.host = host
        self.ledger = ledger
        self.registry = registry or ClassRegistry()
        self.dead_letters = dead_letters
        self.outage = outage or Backoff()
        self._plans: dict[type[Any], UseCasePlan] = {}

    def plan(self, job: type[Any]) -> UseCasePlan:
        """The compiled plan of ``job`` (compiled once; markers are checked then)."""
        plan = self._plans.get(job)
        if plan is None:
            plan = compile_use_case(job)
            self._plans[job] = plan
            self.registry.add(job)
        return plan

    async def execute(
        self,
        job: type[Any],
        params: Mapping[str, Any] | None = None,
        payload: Payload = None,
        *,
        job_id: str | None = None,
        then: Callable[[Any], Awaitable[None]] | None = None,
    ) -> Any:
        """One attempt: build ``job``, open (or join) a transaction, resolve markers, execute.

        Args:
            job: The job class.
            params: Its parameters.
            payload: Its ``Input()`` payload.
            job_id: The dispatched job's id (checked against the ledger for idempotent jobs).
            then: Awaited with the result inside the job's transaction (the success callback).

        Returns:
            What ``execute`` returned, or :data:`SKIPPED` for an idempotent job already applied.
        """
        plan = self.plan(job)
        container = self.host.container
        instance = await (
            container.aresolve(job) if container.is_registered(job) else container.abuild(job)
        )
        async with self.host.transaction():
            if job_id is not None and getattr(job, "__idempotent__", False):
                if self.ledger is None:
                    logger.warning("%s is __idempotent__ but no job ledger is configured", job)
                elif not await self.ledger.first_run(job_id, name_of(job)):
                    logger.info("job %s (%s) was already applied; skipped", job_id, name_of(job))
                    return SKIPPED
            result = await plan.run(instance, params, payload, repos=self.host)
            if then is not None:
                await then(result)
            return result

    async def attempt(self, job: type[Any], message: JobMessage) -> Any:
        """One attempt of a dispatched job, with its ``on_success``, under its trace id.

        Raises:
            Exception: What the attempt raised; :func:`~loom.core.outbox.is_unavailable` tells
                an outage (do not count the attempt) from the job's own failure.
        """
        with traced(message):
            return await self.execute(
                job,
                message.params,
                message.payload,
                job_id=message.job_id,
                then=self.success_callback(message),
            )

    async def deliver(self, message: JobMessage) -> None:
        """Run a dispatched job to its end in this task (the inline backend).

        Own failures are retried ``__retries__`` times at once, then :meth:`fail` records the
        dead letter and runs ``on_failure``. Outages are waited out with backoff, for as long as
        they last, without counting an attempt: the caller (the relay) keeps the outbox row
        claimed and pending meanwhile.

        Raises:
            JobError: The job class cannot be found (the message is retried, then dead-lettered).
        """
        job = self.registry.resolve(message.job)
        retries = retries_of(job)
        number = message.attempt
        outages = 0
        while True:
            try:
                await self.attempt(job, message)
            except Exception as exc:
                if is_unavailable(exc):
                    outages += 1
                    await self._wait_out(message, exc, outages)
                    continue
                outages = 0
                logger.warning(
                    "job %s (%s) attempt %d of %d failed: %r",
                    message.job_id,
                    message.job,
                    number,
                    retries + 1,
                    exc,
                )
                if number <= retries:
                    number += 1
                    continue
                await self.fail(message, exc, number)
            return

    async def _wait_out(self, message: JobMessage, exc: Exception, outages: int) -> None:
        delay = self.outage.delay(outages)
        log = logger.warning if outages == 1 else logger.debug
        log(
            "job %s (%s) is waiting: a dependency does not answer (%s); not counted as an "
            "attempt, tried again in %.2fs",
            message.job_id,
            message.job,
            exc,
            delay,
        )
        await asyncio.sleep(delay)

    async def fail(self, message: JobMessage, error: BaseException, attempts: int) -> None:
        """Record a job whose retries are exhausted: its dead letter and ``on_failure``.

        Both run in one transaction, tried again with backoff while the database does not
        answer (so the Celery message stays unacknowledged, or the outbox row claimed, until
        the job is recorded). An error that is not an outage is logged with the job's.

        Args:
            message: The failed job.
            error: Its last attempt's error.
            attempts: How many attempts failed.
        """
        outages = 0
        while True:
            try:
                with traced(message):
                    async with self.host.transaction():
                        if self.dead_letters is not None:
                            await self.dead_letters.record_dead(
                                dead_letter(message), describe(error), attempts, utc_now()
                            )
                        await self.run_callback(message.on_failure, "on_failure", message, error)
            except Exception as exc:
                if not is_unavailable(exc):
                    logger.error(
                        "job %s (%s) failed (%s) and cannot be recorded as a dead letter: %r",
                        message.job_id,
                        message.job,
                        describe(error),
                        exc,
                        exc_info=exc,
                    )
                    return
                outages += 1
                delay = self.outage.delay(outages)
                (logger.warning if outages == 1 else logger.debug)(
                    "job %s (%s) failed (%s); its dead letter waits for the database (%s), "
                    "written in %.2fs",
                    message.job_id,
                    message.job,
                    describe(error),
                    exc,
                    delay,
                )
                await asyncio.sleep(delay)
                continue
            logger.warning(
                "job %s (%s) failed after %d attempt(s) and is a dead letter: %s",
                message.job_id,
                message.job,
                attempts,
                describe(error),
            )
            return

    def success_callback(self, message: JobMessage) -> Callable[[Any], Awaitable[None]] | None:
        """What ``execute(..., then=)`` takes to run the message's ``on_success``."""
        name = message.on_success
        if name is None:
            return None

        async def then(result: Any) -> None:
            await self.run_callback(name, "on_success", message, result)

        return then

    async def run_callback(
        self, name: str | None, method: str, message: JobMessage, value: Any
    ) -> None:
        """Run a callback: in a SAVEPOINT inside an open transaction, else in its own.

        A failing callback is logged, not raised: the job's outcome stands, and running the job
        again because its callback failed would apply its effect twice. An outage is raised:
        the whole transaction (the job's, or its dead letter's) is tried again later.
        """
        if name is None:
            return
        try:
            callback_type = self.registry.resolve(name, "callback")
            instance = await self.host.container.abuild(callback_type)
            async with self.host.transaction(Propagation.NESTED):
                await getattr(instance, method)(message.job_id, value, **message.context)
        except Exception as exc:
            if is_unavailable(exc):
                raise
            # The job's outcome is committed; a failing callback is a bug to see in the logs,
            # not a reason to run the job again.
            logger.exception(
                "%s callback %s of job %s (%s) failed", method, name, message.job_id, message.job
            )


def retries_of(job: type[Any]) -> int:
    """The extra attempts ``job`` declares (``__retries__``)."""
    return max(0, int(getattr(job, "__retries__", 0)))


def dead_letter(message: JobMessage) -> OutboxMessage:
    """The outbox message of a failed job as it is requeued: from its first attempt again."""
    fresh = msgspec.structs.replace(
        message.with_headers(attempt=1, outages=0), version=JOB_MESSAGE_VERSION
    )
    return OutboxMessage(id=message.job_id, topic=JOB_TOPIC, body=encode_job(fresh))


@contextlib.contextmanager
def traced(message: JobMessage) -> Iterator[None]:
    """Run with the dispatching request's trace id (when the message carries one)."""
    trace_id = message.trace_id
    if trace_id is None:
        yield
        return
    token = current_trace_id.set(trace_id)
    try:
        yield
    finally:
        current_trace_id.reset(token)
