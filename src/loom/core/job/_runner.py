"""``JobRunner``: one job execution: build, resolve markers, execute in a transaction, callbacks.

Each attempt builds the job through the container (constructor injection), runs its compiled
plan in its own transaction, and after the last outcome the callback runs in another one. An
exception from ``execute`` is retried ``__retries__`` times, then handed to ``on_failure``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from loom.core.job._message import JobMessage
from loom.core.job._names import ClassRegistry, name_of
from loom.core.job._ports import JobHost, JobLedger
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
    """

    def __init__(
        self,
        host: JobHost,
        ledger: JobLedger | None = None,
        registry: ClassRegistry | None = None,
    ) -> None:
        self.host = host
        self.ledger = ledger
        self.registry = registry or ClassRegistry()
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
    ) -> Any:
        """One attempt: build ``job``, open (or join) a transaction, resolve markers, execute.

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
            return await plan.run(instance, params, payload, repos=self.host)

    async def deliver(self, message: JobMessage) -> None:
        """Run a dispatched job to its end: attempts, then the callback. Never raises for the job.

        Raises:
            JobError: The job class cannot be found (the message is retried, then dead-lettered).
        """
        job = self.registry.resolve(message.job)
        retries = max(0, int(getattr(job, "__retries__", 0)))
        error: Exception | None = None
        result: Any = None
        for attempt in range(retries + 1):
            try:
                result = await self.execute(
                    job, message.params, message.payload, job_id=message.job_id
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
        if result is SKIPPED:
            return
        if error is not None:
            await self._callback(message.on_failure, "on_failure", message, error)
        else:
            await self._callback(message.on_success, "on_success", message, result)

    async def _callback(
        self, name: str | None, method: str, message: JobMessage, value: Any
    ) -> None:
        if name is None:
            return
        try:
            callback_type = self.registry.resolve(name, "callback")
            instance = await self.host.container.abuild(callback_type)
            async with self.host.transaction():
                await getattr(instance, method)(message.job_id, value, **message.context)
        except Exception:
            # The job's outcome is committed; a failing callback is a bug to see in the logs,
            # not a reason to run the job again.
            logger.exception(
                "%s callback %s of job %s (%s) failed", method, name, message.job_id, message.job
            )
