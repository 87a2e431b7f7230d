"""``OutboxMessage``: one row of the outbox as the relay sees it, and the clock it runs on."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import msgspec

Clock = Callable[[], datetime]
"""Returns the current time as an aware UTC ``datetime`` (injected in tests)."""

OUTBOX_ENTITY = "loom_outbox"
"""Entity name of the mutation event a transaction records when it wrote outbox rows.

The relay's post-commit hook watches for it to wake at once instead of at the next poll.
"""


def utc_now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def new_message_id() -> str:
    """A fresh message id (32 hex characters), unique across processes."""
    return uuid.uuid4().hex


class OutboxMessage(msgspec.Struct, frozen=True, kw_only=True):
    """A message waiting in the outbox, or claimed from it.

    Attributes:
        id: Unique id, carried to the consumer so that it can deduplicate (a job's id).
        topic: Where it goes (``"loom.job"`` for jobs, an event topic for integration events).
        body: The JSON-encoded content.
        ordering_key: Messages sharing a key leave in the order they were written.
        not_before: Earliest time of the first delivery (``None``: at once).
        attempts: Deliveries already tried and failed (set by the store when claimed).
    """

    id: str
    topic: str
    body: bytes
    ordering_key: str | None = None
    not_before: datetime | None = None
    attempts: int = 0


class OutboxRecord(msgspec.Struct, frozen=True, kw_only=True):
    """What the store remembers of a message (for operators, tests and dead letters).

    Attributes:
        id: The message id.
        topic: Its topic.
        status: ``"pending"``, ``"sent"`` or ``"dead"`` (gave up after ``max_attempts``).
        attempts: Failed deliveries so far.
        last_error: The last delivery error, kept on dead letters.
        ordering_key: Its ordering key.
        next_attempt_at: When it may be delivered (again).
        sent_at: When it was delivered.
    """

    id: str
    topic: str
    status: str
    attempts: int
    last_error: str | None
    ordering_key: str | None
    next_attempt_at: datetime
    sent_at: datetime | None = None
