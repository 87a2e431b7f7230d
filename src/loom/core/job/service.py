"""``JobService``: dispatch jobs in the caller's transaction, or run them inline.

Kept at this public path because the documented API imports it from here. Imports only msgspec,
the standard library and ``loom.core``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, TypeVar

import msgspec

from loom.core.errors import JobError
from loom.core.job._message import JOB_MESSAGE_VERSION, JOB_TOPIC, JobMessage, encode_job
from loom.core.job._names import name_of
from loom.core.job._ports import JobHost
from loom.core.job._runner import SKIPPED, JobRunner
from loom.core.job.job import Job
from loom.core.outbox import Outbox, OutboxMessage, new_message_id, utc_now
from loom.core.trace import current_trace_id

ResultT = TypeVar("ResultT")

_IDEMPOTENCY_NAMESPACE = uuid.UUID("6f1c1c55-3f0e-4d53-9a43-6c6f6f6d6a62")


class JobHandle(msgspec.Struct, frozen=True, kw_only=True):
    """What ``dispatch`` returns.

    Attributes:
        job_id: The job's id (its outbox message id), the same on every delivery.
        queue: The queue it runs on.
    """

    job_id: str
    queue: str


class JobService:
    """Dispatches jobs through the transactional outbox and runs them inline on demand.

    Use cases receive it by constructor injection (``def __init__(self, jobs: JobService)``).

    Args:
        host: The kernel (transactions for :meth:`dispatch_now`).
        outbox: The outbox dispatched jobs are written to.
        runner: Runs jobs for :meth:`run` (and checks their markers at dispatch).
        default_queue: Queue of jobs that declare no ``__queue__``.
    """

    def __init__(
        self, host: JobHost, outbox: Outbox, runner: JobRunner, *, default_queue: str = "default"
    ) -> None:
        self.host = host
        self.outbox = outbox
        self.runner = runner
        self.default_queue = default_queue

    def dispatch(
        self,
        job: type[Job[Any]],
        params: Mapping[str, Any] | None = None,
        payload: Mapping[str, Any] | msgspec.Struct | None = None,
        *,
        on_success: type[Any] | None = None,
        on_failure: type[Any] | None = None,
        countdown: float | None = None,
        idempotency_key: str | None = None,
        ordering_key: str | None = None,
    ) -> JobHandle:
        """Add ``job`` to the current transaction; it runs after COMMIT, never after a rollback.

        Args:
            job: The job class.
            params: ``execute``'s plain parameters (``{"product_id": 5}``), JSON-able.
            payload: The body of its ``Input()`` command, JSON-able.
            on_success: Class with ``async on_success(job_id, result, **context)``.
            on_failure: Class with ``async on_failure(job_id, error, **context)``.
            countdown: Seconds to wait after commit before the first run.
            idempotency_key: Dispatches of one job class with one key are one job (same id,
                one run).
            ordering_key: Jobs sharing a key run one after another, in dispatch order.

        Returns:
            The job's id and queue.

        Raises:
            JobError: Outside a write transaction (dispatch from a use case, or use
                :meth:`dispatch_now`), a class that is not a job or callback, or params and
                payload that are not JSON-able.
            ConfigError: The job's ``execute`` markers do not compile.
        """
        message = self._message(
            job, params, payload, on_success, on_failure, countdown, idempotency_key, ordering_key
        )
        kept = self.outbox.enqueue(message, what=f"dispatch({job.__name__})")
        return JobHandle(job_id=kept.id, queue=self._queue(job))

    async def dispatch_now(
        self,
        job: type[Job[Any]],
        params: Mapping[str, Any] | None = None,
        payload: Mapping[str, Any] | msgspec.Struct | None = None,
        *,
        on_success: type[Any] | None = None,
        on_failure: type[Any] | None = None,
        countdown: float | None = None,
        idempotency_key: str | None = None,
        ordering_key: str | None = None,
    ) -> JobHandle:
        """Like :meth:`dispatch`, in a transaction of its own (or the one open in the task)."""
        async with self.host.transaction():
            return self.dispatch(
                job,
                params,
                payload,
                on_success=on_success,
                on_failure=on_failure,
                countdown=countdown,
                idempotency_key=idempotency_key,
                ordering_key=ordering_key,
            )

    async def run(
        self,
        job: type[Job[ResultT]],
        params: Mapping[str, Any] | None = None,
        payload: Mapping[str, Any] | msgspec.Struct | None = None,
    ) -> ResultT:
        """Run ``job`` now, in this task, joining the open transaction; return its result.

        Raises:
            Exception: Whatever ``execute`` raises (no retries, no callbacks).
        """
        _check_job(job)
        result = await self.runner.execute(job, params, payload)
        assert result is not SKIPPED  # only dispatched jobs (with an id) are deduplicated
        return result  # type: ignore[no-any-return]

    def _queue(self, job: type[Any]) -> str:
        return getattr(job, "__queue__", None) or self.default_queue

    def _message(
        self,
        job: type[Any],
        params: Mapping[str, Any] | None,
        payload: Mapping[str, Any] | msgspec.Struct | None,
        on_success: type[Any] | None,
        on_failure: type[Any] | None,
        countdown: float | None,
        idempotency_key: str | None,
        ordering_key: str | None,
    ) -> OutboxMessage:
        _check_job(job)
        self.runner.plan(job)  # a job whose markers do not compile fails here, not in the relay
        name = name_of(job)
        job_id = (
            uuid.uuid5(_IDEMPOTENCY_NAMESPACE, f"{name}\n{idempotency_key}").hex
            if idempotency_key is not None
            else new_message_id()
        )
        job_message = JobMessage(
            job_id=job_id,
            job=name,
            queue=self._queue(job),
            params=dict(params or {}),
            payload=msgspec.to_builtins(payload)
            if isinstance(payload, msgspec.Struct)
            else payload,
            on_success=self._callback(on_success, "on_success"),
            on_failure=self._callback(on_failure, "on_failure"),
            version=JOB_MESSAGE_VERSION,
            headers=_headers(),
        )
        try:
            body = encode_job(job_message)
        except (TypeError, msgspec.EncodeError) as exc:
            raise JobError(
                f"dispatch({job.__name__}): params and payload must be JSON-able ({exc}); pass "
                "ids and plain values, not entities or open resources"
            ) from exc
        return OutboxMessage(
            id=job_id,
            topic=JOB_TOPIC,
            body=body,
            ordering_key=ordering_key,
            not_before=utc_now() + timedelta(seconds=countdown) if countdown else None,
        )

    def _callback(self, callback: type[Any] | None, method: str) -> str | None:
        if callback is None:
            return None
        if not isinstance(callback, type) or not callable(getattr(callback, method, None)):
            raise JobError(
                f"{method}={callback!r} must be a class with `async def {method}(self, job_id, "
                f"{'result' if method == 'on_success' else 'error'}, **context)`"
            )
        return self.runner.registry.add(callback)


def _headers() -> dict[str, Any]:
    headers: dict[str, Any] = {"attempt": 1}
    trace_id = current_trace_id.get()
    if trace_id is not None:
        headers["trace_id"] = trace_id
    return headers


def _check_job(job: Any) -> None:
    if not isinstance(job, type) or getattr(job, "__loom_kind__", None) != "job":
        raise JobError(f"{job!r} is not a job; subclass loom.core.job.job.Job and define execute")
