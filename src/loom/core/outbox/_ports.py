"""The outbox ports: where messages are stored, and where the relay hands them.

Storage adapters (the SQLAlchemy one lives in ``loom.core.repository.sqlalchemy``) implement
:class:`OutboxStore`; job backends and event buses implement :class:`Publisher`. Imports only
the standard library and ``loom.core``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

from loom.core.outbox._message import OutboxMessage, OutboxRecord


@runtime_checkable
class Publisher(Protocol):
    """Hands one message on (to a broker, to in-process jobs, to subscribers)."""

    async def publish(self, message: OutboxMessage) -> None:
        """Deliver ``message``; return only once it is safely handed over.

        Raises:
            Exception: Any failure; the relay retries the message later with backoff.
        """
        ...


class OutboxStore(Protocol):
    """Durable storage of outbox messages, with claims for concurrent relays."""

    async def add(self, messages: Sequence[OutboxMessage]) -> None:
        """Write ``messages`` in the transaction open in this task.

        A message whose id is already stored is skipped (``idempotency_key`` dispatches).

        Raises:
            LoomError: No transaction is open.
        """
        ...

    async def claim(
        self, relay_id: str, limit: int, now: datetime, lease: float
    ) -> list[OutboxMessage]:
        """Claim up to ``limit`` due messages for ``lease`` seconds, oldest first.

        A message is due when it is pending, its ``next_attempt_at`` has come, it has no live
        claim, and no earlier pending message shares its ordering key. Two relays never claim
        the same message while a claim is live.
        """
        ...

    async def renew(
        self, relay_id: str, message_ids: Sequence[str], now: datetime, lease: float
    ) -> list[str]:
        """Extend the claims ``relay_id`` holds on ``message_ids`` to ``now + lease``.

        The relay calls it while deliveries run (a heartbeat), so a job slower than the lease
        is not claimed and run again by another relay.

        Returns:
            The ids still claimed by ``relay_id`` (the others were taken over, or settled).
        """
        ...

    async def mark_sent(self, message_id: str, now: datetime) -> None:
        """Record a successful delivery (a message already dead-lettered stays dead)."""
        ...

    async def record_dead(
        self, message: OutboxMessage, error: str, attempts: int, now: datetime
    ) -> None:
        """Make ``message`` a dead letter, in the transaction open in this task.

        A job whose own retries are exhausted lands here (with its failure callback in the same
        transaction), whether its message is still claimed (inline jobs), already sent (a
        broker's worker) or purged since (then it is written again).

        Args:
            message: The message as it should be requeued (its body and ordering key).
            error: Why it failed, kept as ``last_error``.
            attempts: How many attempts failed.
            now: The time of the failure.

        Raises:
            LoomError: No transaction is open.
        """
        ...

    async def mark_failed(
        self,
        message_id: str,
        relay_id: str,
        error: str,
        next_attempt_at: datetime | None,
    ) -> None:
        """Record a failed delivery: retry at ``next_attempt_at``, or dead-letter on ``None``.

        Ignored when ``relay_id`` no longer holds the claim (another relay took it over).
        """
        ...

    async def pending_count(self) -> int:
        """Messages not yet delivered (dead letters excluded)."""
        ...

    async def get(self, message_id: str) -> OutboxRecord | None:
        """What the store knows of one message."""
        ...

    async def status_counts(self) -> dict[str, int]:
        """Messages per status: always the keys ``pending``, ``sent`` and ``dead``."""
        ...

    async def purge_sent(self, before: datetime, limit: int) -> int:
        """Delete up to ``limit`` sent messages delivered before ``before``, oldest first.

        Pending messages and dead letters are never deleted. Returns how many were.
        """
        ...

    async def requeue_dead(self, message_ids: Sequence[str] | None, now: datetime) -> int:
        """Put dead letters back to pending, due at ``now`` with no failed attempt counted.

        Args:
            message_ids: The dead letters to requeue; ``None`` requeues every one. Ids that are
                unknown or not dead are ignored.
            now: Their new ``next_attempt_at``.

        ``last_error`` is kept until the next failure replaces it. Returns how many were
        requeued.
        """
        ...
