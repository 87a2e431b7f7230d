"""``JobMessage``: what travels from the outbox to a job backend, and back into a job run."""

from __future__ import annotations

from typing import Any

import msgspec

JOB_TOPIC = "loom.job"
"""Outbox topic of job messages."""


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
    """

    job_id: str
    job: str
    queue: str
    params: dict[str, Any] = msgspec.field(default_factory=dict)
    payload: Any = None
    on_success: str | None = None
    on_failure: str | None = None

    @property
    def context(self) -> dict[str, Any]:
        """What callbacks receive as keyword arguments: ``params`` merged with ``payload``."""
        context = dict(self.params)
        if isinstance(self.payload, dict):
            context.update(self.payload)
        return context


encode_job = msgspec.json.Encoder().encode
decode_job = msgspec.json.Decoder(JobMessage).decode
