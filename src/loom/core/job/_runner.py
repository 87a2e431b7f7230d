"""``JobRunner``: one job execution: build, resolve markers, execute in a transaction, callbacks.

Each attempt builds the job through the container (constructor injection) and runs its compiled
plan in its own transaction. ``on_success`` runs in a SAVEPOINT of that same transaction, so the
job's effect, its idempotency record and its callback commit together: a worker that dies
between them leaves nothing half done, and a failing callback (logged) rolls back only itself.
An exception from ``execute`` is retried ``__retries__`` times, then handed to ``on_failure`` in a
transaction of its own.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from loom.core.errors import JobTimeoutError
from loom.core.job._callbacks import failure_arguments
from loom.core.job._message import JobMessage
from loom.core.job._names import ClassRegistry, name_of
from loom.core.job._ports import JobHost, JobLedger
from loom.core.job._settings import JobSettings
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
        settings: Per-job settings (``jobs.<JobClassName>`` over the class attributes).
    """

    def __init__(
        self,
        host: JobHost,
        ledger: JobLedger | None = None,
        registry: ClassRegistry | None = None,
        settings: JobSettings | None = None,
    ) -> None:
        self.host = host
        self.ledger = ledger
        self.registry = registry or ClassRegistry()
        self.settings = settings or JobSettings()
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
            limit = self.settings.timeout(job)
            try:
                async with asyncio.timeout(limit):
                    result = await plan.run(instance, params, payload, repos=self.host)
            except TimeoutError as exc:
                if limit is None:
                    raise  # not ours: the job's own code timed out
                raise JobTimeoutError(job_id or name_of(job), limit) from exc
            if then is not None:
                await then(result)
            return result

    async def deliver(self, message: JobMessage) -> None:
        """Run a dispatched job to its end: attempts, then the callback. Never raises for the job.

        Raises:
            JobError: The job class cannot be found (the message is retried, then dead-lettered).
        """
        job = self.registry.resolve(message.job)
        retries = self.settings.retries(job)
        error: Exception | None = None
        on_success = self.success_callback(message)
        for attempt in range(retries + 1):
            try:
                await self.execute(
                    job, message.params, message.payload, job_id=message.job_id, then=on_success
                )
            except Exception as exc:
                error = exc
                logger.warning(
                    "job %s (%s) attempt %d of %d failed: %r",
                    message.job_id,
                    message.job,
                    attempt + 1,
                    retries + 1,
                    exc,
                )
                continue
            error = None
            break
        if error is not None:
            await self.run_callback(message.on_failure, "on_failure", message, error)

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
        again because its callback failed would apply its effect twice.
        """
        if name is None:
            return
        try:
            callback_type = self.registry.resolve(name, "callback")
            instance = await self.host.container.abuild(callback_type)
            async with self.host.transaction(Propagation.NESTED):
                call = getattr(instance, method)
                if method == "on_failure":
                    # By keyword, as loom-kernel calls it: both spellings of on_failure work.
                    arguments = {**message.context, **failure_arguments(call, value)}
                    done = call(job_id=message.job_id, **arguments)
                else:
                    done = call(message.job_id, value, **message.context)
                if inspect.isawaitable(done):  # loom-kernel allows plain `def` callbacks
                    await done
        except Exception:
            # The job's outcome is committed; a failing callback is a bug to see in the logs,
            # not a reason to run the job again.
            logger.exception(
                "%s callback %s of job %s (%s) failed", method, name, message.job_id, message.job
            )
