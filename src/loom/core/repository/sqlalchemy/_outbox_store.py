"""``SQLAlchemyOutboxStore`` and ``SQLAlchemyJobLedger``: the outbox ports on SQLAlchemy.

``add`` and the ledger write on the connection of the transaction open in the task (the
business transaction); the relay's claims and marks run in short transactions of their own.
Claims use ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so many relays share the table; SQLite has
one writer at a time and runs the same ``UPDATE ... RETURNING`` without row locks.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from loom.core.errors import JobError
from loom.core.outbox import OutboxMessage, OutboxRecord, utc_now
from loom.core.repository.sqlalchemy._outbox_table import (
    DEAD,
    PENDING,
    SENT,
    OutboxTables,
    outbox_tables,
)
from loom.core.repository.sqlalchemy._session import SessionManager
from loom.core.repository.sqlalchemy._transaction import Transaction


def _aware(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; every time written is UTC.
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _current(manager: SessionManager, what: str) -> Transaction:
    tx = manager.current()
    if tx is None:
        raise JobError(
            f"{what} needs the transaction open in this task; call it inside "
            "`async with kernel.transaction():` (or a use case)",
            code="no_transaction",
        )
    return tx


class SQLAlchemyOutboxStore:
    """The :class:`~loom.core.outbox.OutboxStore` of one session manager.

    Args:
        manager: The application's session manager.
        tables: Its outbox tables (see :func:`outbox_tables`).
    """

    def __init__(self, manager: SessionManager, tables: OutboxTables) -> None:
        self.manager = manager
        self.table = tables.outbox
        self._postgres = manager.dialect_name == "postgresql"

    def _insert(self) -> Any:
        return (postgresql.insert if self._postgres else sqlite.insert)(self.table)

    async def add(self, messages: Sequence[OutboxMessage]) -> None:
        """Insert ``messages`` in the current transaction; known ids are skipped."""
        if not messages:
            return
        tx = _current(self.manager, "writing outbox messages")
        now = utc_now()
        rows = [
            {
                "message_id": m.id,
                "topic": m.topic,
                "body": m.body.decode(),
                "ordering_key": m.ordering_key,
                "status": PENDING,
                "attempts": 0,
                "next_attempt_at": m.not_before or now,
                "created_at": now,
            }
            for m in messages
        ]
        statement = self._insert().on_conflict_do_nothing(index_elements=["message_id"])
        await (await tx.connect()).execute(statement, rows)

    async def claim(
        self, relay_id: str, limit: int, now: datetime, lease: float
    ) -> list[OutboxMessage]:
        """Claim up to ``limit`` due messages (see the protocol)."""
        t = self.table
        earlier = t.alias("earlier")
        earlier_pending = (
            sa.select(earlier.c.seq)
            .where(
                earlier.c.ordering_key == t.c.ordering_key,
                earlier.c.seq < t.c.seq,
                earlier.c.status == PENDING,
            )
            .exists()
        )
        due = (
            sa.select(t.c.seq)
            .where(
                t.c.status == PENDING,
                t.c.next_attempt_at <= now,
                sa.or_(t.c.claim_expires_at.is_(None), t.c.claim_expires_at <= now),
                sa.or_(t.c.ordering_key.is_(None), ~earlier_pending),
            )
            .order_by(t.c.seq)
            .limit(limit)
        )
        if self._postgres:
            # Rows another relay is claiming right now are skipped, not waited for.
            due = due.with_for_update(skip_locked=True)
        statement = (
            sa.update(t)
            .where(t.c.seq.in_(due.scalar_subquery()))
            .values(claimed_by=relay_id, claim_expires_at=now + timedelta(seconds=lease))
            .returning(t.c.seq, t.c.message_id, t.c.topic, t.c.body, t.c.ordering_key, t.c.attempts)
        )
        async with self.manager.engine.begin() as conn:
            rows = (await conn.execute(statement)).all()
        return [
            OutboxMessage(
                id=row.message_id,
                topic=row.topic,
                body=row.body.encode(),
                ordering_key=row.ordering_key,
                attempts=row.attempts,
            )
            for row in sorted(rows, key=lambda r: r.seq)
        ]

    async def mark_sent(self, message_id: str, now: datetime) -> None:
        """Record a delivery."""
        t = self.table
        statement = (
            sa.update(t)
            .where(t.c.message_id == message_id)
            .values(status=SENT, sent_at=now, claimed_by=None, claim_expires_at=None)
        )
        async with self.manager.engine.begin() as conn:
            await conn.execute(statement)

    async def mark_failed(
        self,
        message_id: str,
        relay_id: str,
        error: str,
        next_attempt_at: datetime | None,
    ) -> None:
        """Record a failure: retry at ``next_attempt_at``, or dead-letter on ``None``."""
        t = self.table
        values: dict[str, Any] = {
            "attempts": t.c.attempts + 1,
            "last_error": error[:4000],
            "claimed_by": None,
            "claim_expires_at": None,
        }
        if next_attempt_at is None:
            values["status"] = DEAD
        else:
            values["next_attempt_at"] = next_attempt_at
        statement = (
            sa.update(t)
            .where(t.c.message_id == message_id, t.c.claimed_by == relay_id, t.c.status == PENDING)
            .values(values)
        )
        async with self.manager.engine.begin() as conn:
            await conn.execute(statement)

    async def pending_count(self) -> int:
        """Messages not delivered yet."""
        statement = sa.select(sa.func.count()).select_from(self.table)
        async with self.manager.engine.connect() as conn:
            count = await conn.scalar(statement.where(self.table.c.status == PENDING))
        return int(count or 0)

    async def get(self, message_id: str) -> OutboxRecord | None:
        """The record of one message."""
        t = self.table
        async with self.manager.engine.connect() as conn:
            row = (await conn.execute(sa.select(t).where(t.c.message_id == message_id))).first()
        if row is None:
            return None
        next_attempt_at = _aware(row.next_attempt_at)
        assert next_attempt_at is not None
        return OutboxRecord(
            id=row.message_id,
            topic=row.topic,
            status=row.status,
            attempts=row.attempts,
            last_error=row.last_error,
            ordering_key=row.ordering_key,
            next_attempt_at=next_attempt_at,
            sent_at=_aware(row.sent_at),
        )

    async def status_counts(self) -> dict[str, int]:
        """Messages per status."""
        t = self.table
        statement = sa.select(t.c.status, sa.func.count()).group_by(t.c.status)
        async with self.manager.engine.connect() as conn:
            rows = (await conn.execute(statement)).all()
        counts = dict.fromkeys((PENDING, SENT, DEAD), 0)
        counts.update({status: int(count) for status, count in rows})
        return counts

    async def purge_sent(self, before: datetime, limit: int) -> int:
        """Delete up to ``limit`` messages sent before ``before``, oldest first."""
        t = self.table
        old = (
            sa.select(t.c.seq)
            .where(t.c.status == SENT, t.c.sent_at < before)
            .order_by(t.c.seq)
            .limit(limit)
        )
        if self._postgres:
            # Relays purging at the same time split the rows instead of waiting on each other.
            old = old.with_for_update(skip_locked=True)
        statement = sa.delete(t).where(t.c.seq.in_(old.scalar_subquery()))
        async with self.manager.engine.begin() as conn:
            result = await conn.execute(statement)
        return int(result.rowcount)

    async def requeue_dead(self, message_ids: Sequence[str] | None, now: datetime) -> int:
        """Put dead letters back to pending (see the protocol)."""
        t = self.table
        statement = (
            sa.update(t)
            .where(t.c.status == DEAD)
            .values(status=PENDING, attempts=0, next_attempt_at=now)
        )
        if message_ids is not None:
            if not message_ids:
                return 0
            statement = statement.where(t.c.message_id.in_(list(message_ids)))
        async with self.manager.engine.begin() as conn:
            result = await conn.execute(statement)
        return int(result.rowcount)


class SQLAlchemyJobLedger:
    """The :class:`~loom.core.job.JobLedger` of one session manager."""

    def __init__(self, manager: SessionManager, tables: OutboxTables) -> None:
        self.manager = manager
        self.table = tables.ledger
        self._postgres = manager.dialect_name == "postgresql"

    async def first_run(self, job_id: str, job: str) -> bool:
        """Insert ``job_id`` in the current transaction; ``False`` if a run already did.

        On PostgreSQL a concurrent run of the same job waits here until the first commits
        (then finds the id) or rolls back (then proceeds).
        """
        tx = _current(self.manager, "an __idempotent__ job")
        insert = (postgresql.insert if self._postgres else sqlite.insert)(self.table)
        statement = (
            insert.values(job_id=job_id, job=job[:255], applied_at=utc_now())
            .on_conflict_do_nothing(index_elements=["job_id"])
            .returning(self.table.c.job_id)
        )
        return (await (await tx.connect()).execute(statement)).first() is not None


def build_outbox_storage(persistence: Any) -> tuple[SQLAlchemyOutboxStore, SQLAlchemyJobLedger]:
    """The outbox store and job ledger of a :class:`SQLAlchemyPersistence`.

    Adds the outbox tables to the persistence's declarative base, so call it before
    ``persistence.start()`` creates the schema.
    """
    manager: SessionManager = persistence.session_manager
    tables = outbox_tables(persistence.base.metadata)
    return SQLAlchemyOutboxStore(manager, tables), SQLAlchemyJobLedger(manager, tables)
