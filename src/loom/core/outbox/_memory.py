"""``MemoryOutboxStore``: the outbox store in a list, for unit tests and tools without a database.

It follows the :class:`~loom.core.outbox.OutboxStore` contract (claims, leases, ordering keys,
dead letters) but not transactions: ``add`` keeps messages at once, so only add from a
before-commit callback, as :class:`~loom.core.outbox.Outbox` does.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import msgspec

from loom.core.outbox._message import OutboxMessage, OutboxRecord, utc_now


@dataclass
class _Row:
    seq: int
    message: OutboxMessage
    status: str
    attempts: int
    next_attempt_at: datetime
    claimed_by: str | None = None
    claim_expires_at: datetime | None = None
    last_error: str | None = None
    sent_at: datetime | None = None


class MemoryOutboxStore:
    """An in-memory :class:`~loom.core.outbox.OutboxStore`."""

    def __init__(self) -> None:
        self._rows: dict[str, _Row] = {}
        # Not len(self._rows): purged rows would hand their numbers out again.
        self._seq = itertools.count()

    async def add(self, messages: Sequence[OutboxMessage]) -> None:
        """Keep ``messages``; ids already stored are skipped."""
        now = utc_now()
        for message in messages:
            if message.id not in self._rows:
                self._rows[message.id] = _Row(
                    seq=next(self._seq),
                    message=message,
                    status="pending",
                    attempts=0,
                    next_attempt_at=message.not_before or now,
                )

    async def claim(
        self, relay_id: str, limit: int, now: datetime, lease: float
    ) -> list[OutboxMessage]:
        """Claim up to ``limit`` due messages (see the protocol)."""
        blocked: set[str] = set()
        claimed: list[OutboxMessage] = []
        for row in sorted(self._rows.values(), key=lambda r: r.seq):
            if row.status != "pending":
                continue
            key = row.message.ordering_key
            earlier_pending = key is not None and key in blocked
            if key is not None:
                blocked.add(key)
            live_claim = row.claim_expires_at is not None and row.claim_expires_at > now
            if earlier_pending or live_claim or row.next_attempt_at > now:
                continue
            if len(claimed) == limit:
                break
            row.claimed_by = relay_id
            row.claim_expires_at = now + timedelta(seconds=lease)
            claimed.append(msgspec.structs.replace(row.message, attempts=row.attempts))
        return claimed

    async def renew(
        self, relay_id: str, message_ids: Sequence[str], now: datetime, lease: float
    ) -> list[str]:
        """Extend the claims ``relay_id`` still holds (see the protocol)."""
        held: list[str] = []
        for message_id in message_ids:
            row = self._rows.get(message_id)
            if row is not None and row.status == "pending" and row.claimed_by == relay_id:
                row.claim_expires_at = now + timedelta(seconds=lease)
                held.append(message_id)
        return held

    async def mark_sent(self, message_id: str, now: datetime) -> None:
        """Record a delivery (a dead letter stays dead)."""
        row = self._rows[message_id]
        if row.status != "pending":
            return
        row.status, row.sent_at = "sent", now
        row.claimed_by = row.claim_expires_at = None

    async def record_dead(
        self, message: OutboxMessage, error: str, attempts: int, now: datetime
    ) -> None:
        """Make ``message`` a dead letter (see the protocol); kept at once, not transactional."""
        row = self._rows.get(message.id)
        if row is None:
            row = _Row(
                seq=next(self._seq),
                message=message,
                status="dead",
                attempts=attempts,
                next_attempt_at=now,
            )
            self._rows[message.id] = row
        row.message = msgspec.structs.replace(message, ordering_key=row.message.ordering_key)
        row.status, row.attempts, row.last_error = "dead", attempts, error
        row.claimed_by = row.claim_expires_at = None

    async def mark_failed(
        self,
        message_id: str,
        relay_id: str,
        error: str,
        next_attempt_at: datetime | None,
    ) -> None:
        """Record a failure: retry later, or dead-letter."""
        row = self._rows[message_id]
        if row.claimed_by != relay_id:
            return
        row.attempts += 1
        row.last_error = error
        row.claimed_by = row.claim_expires_at = None
        if next_attempt_at is None:
            row.status = "dead"
        else:
            row.next_attempt_at = next_attempt_at

    async def pending_count(self) -> int:
        """Messages not delivered yet."""
        return sum(1 for row in self._rows.values() if row.status == "pending")

    async def get(self, message_id: str) -> OutboxRecord | None:
        """The record of one message."""
        row = self._rows.get(message_id)
        if row is None:
            return None
        return OutboxRecord(
            id=message_id,
            topic=row.message.topic,
            status=row.status,
            attempts=row.attempts,
            last_error=row.last_error,
            ordering_key=row.message.ordering_key,
            next_attempt_at=row.next_attempt_at,
            sent_at=row.sent_at,
        )

    async def status_counts(self) -> dict[str, int]:
        """Messages per status."""
        counts = dict.fromkeys(("pending", "sent", "dead"), 0)
        for row in self._rows.values():
            counts[row.status] += 1
        return counts

    async def purge_sent(self, before: datetime, limit: int) -> int:
        """Forget up to ``limit`` messages sent before ``before``, oldest first."""
        old = [
            message_id
            for message_id, row in sorted(self._rows.items(), key=lambda item: item[1].seq)
            if row.status == "sent" and row.sent_at is not None and row.sent_at < before
        ][:limit]
        for message_id in old:
            del self._rows[message_id]
        return len(old)

    async def requeue_dead(self, message_ids: Sequence[str] | None, now: datetime) -> int:
        """Put dead letters back to pending (see the protocol)."""
        wanted = None if message_ids is None else set(message_ids)
        requeued = 0
        for message_id, row in self._rows.items():
            if row.status == "dead" and (wanted is None or message_id in wanted):
                row.status, row.attempts, row.next_attempt_at = "pending", 0, now
                requeued += 1
        return requeued
