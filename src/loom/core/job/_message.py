"""``JobMessage``: what travels from the outbox to a job backend, and back into a job run."""

from __future__ import annotations

from typing import Any

import msgspec

JOB_TOPIC = "loom.job"
"""Outbox topic of job messages."""

JOB_MESSAGE_VERSION = 1
"""Version of the job message Loom writes. ``0``: written before versions and headers existed
(such messages still run). New information travels as header keys, never as new fields."""


class JobMessage(msgspec.Struct, frozen=True, kw_only=True):
    """One dispatched job, JSON-encoded into the outbox body.

    Attributes:
        job_id: Unique id (the outbox message id): consumers deduplicate on it.
        job: The job class as ``"module:QualName"``.
        queue: The queue it runs on.
        params: Path-like parameters of ``execute``.
        payload: The body for ``execute``'s ``Input()`` command.
        on_success: Callback class as ``"module:QualName"``, or ``None``.
        on_failure: Callback class as ``"module:QualName"``, or ``None``.
        version: :data:`JOB_MESSAGE_VERSION` when written by this Loom; ``0`` when absent.
        headers: Delivery information beside the job's own data. Loom reads ``attempt`` (the
            number of the attempt this message carries, from 1; the job's own retry budget),
            ``outages`` (deliveries put off because a dependency did not answer) and
            ``trace_id`` (the dispatching request's trace id, set again while the job runs).
            Unknown keys are kept and ignored, so newer writers can add keys.
    """

    job_id: str
    job: str
    queue: str
    params: dict[str, Any] = msgspec.field(default_factory=dict)
    payload: Any = None
    on_success: str | None = None
    on_failure: str | None = None
    version: int = 0
    headers: dict[str, Any] = msgspec.field(default_factory=dict)

    @property
    def attempt(self) -> int:
        """The number of the attempt this message carries (from 1)."""
        value = self.headers.get("attempt", 1)
        return value if isinstance(value, int) and value >= 1 else 1

    @property
    def outages(self) -> int:
        """Deliveries of this message put off so far because a dependency did not answer."""
        value = self.headers.get("outages", 0)
        return value if isinstance(value, int) and value >= 0 else 0

    @property
    def trace_id(self) -> str | None:
        """The trace id of the request that dispatched the job, if it had one."""
        value = self.headers.get("trace_id")
        return value if isinstance(value, str) else None

    def with_headers(self, **changes: Any) -> JobMessage:
        """A copy with ``changes`` merged into :attr:`headers`."""
        return msgspec.structs.replace(self, headers={**self.headers, **changes})

    @property
    def context(self) -> dict[str, Any]:
        """What callbacks receive as keyword arguments: ``params`` merged with ``payload``."""
        context = dict(self.params)
        if isinstance(self.payload, dict):
            context.update(self.payload)
        return context


encode_job = msgspec.json.Encoder().encode
decode_job = msgspec.json.Decoder(JobMessage).decode
