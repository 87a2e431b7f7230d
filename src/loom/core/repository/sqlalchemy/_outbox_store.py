"""``SQLAlchemyOutboxStore`` and ``SQLAlchemyJobLedger``: the outbox ports on SQLAlchemy.

``add`` and the ledger write on the connection of the transaction open in the task (the
business transaction); the relay's claims and marks run in short transactions of their own.
Claims use ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so many relays share the table; SQLite has
one writer at a time and runs the same ``UPDATE ... RETURNING`` without row locks.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import postgresql, sqlite

from loom.core.errors import JobError, UnavailableError
from loom.core.outbox import OutboxMessage, OutboxRecord, utc_now
from loom.core.repository.sqlalchemy._errors import _sqlstate, _unavailable
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


@contextmanager
def _storage_errors(tables: Sequence[sa.Table]) -> Iterator[None]:
    """Translate what the outbox tables' statements raise into errors that say what to do.

    A database that does not answer is an :class:`UnavailableError` (the relay and the job
    runner wait it out); a missing table is a :class:`JobError` naming the fix, so a relay on
    an unmigrated database logs one clear line instead of a traceback per poll.
    """
    try:
        yield
    except sa_exc.DBAPIError as exc:
        text = str(exc.orig)
        missing = next((t.name for t in tables if _missing_table(exc, text, t.name)), None)
        if missing is not None:
            raise JobError(
                f"the table {missing!r} does not exist in the database; create Loom's tables: "
                "run the migrations, or set `database.schema: create_all`",
                code="outbox_table_missing",
            ) from exc
        if _unavailable(exc, exc.orig, text):
            raise UnavailableError(
                f"the database does not answer ({type(exc.orig).__name__}: {text})"
            ) from exc
        raise
    except OSError as exc:  # refused or timed-out connect: raised by the driver, unwrapped
        raise UnavailableError(
            f"the database does not answer ({type(exc).__name__}: {exc})"
        ) from exc


def _missing_table(error: sa_exc.DBAPIError, text: str, table: str) -> bool:
    if _sqlstate(error.orig) == "42P01":  # PostgreSQL: undefined table
        return f'"{table}"' in text
    return f"no such table: {table}" in text


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

    Every method raises :class:`UnavailableError` when the database does not answer and a
    :class:`JobError` (code ``outbox_table_missing``) when the outbox table does not exist.

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

    async def _write(self, statement: Any) -> Any:
        """Run ``statement`` in a short transaction of its own; return its result."""
        with _storage_errors([self.table]):
            async with self.manager.engine.begin() as conn:
                result = await conn.execute(statement)
                return result.all() if result.returns_rows else result.rowcount

    async def _read(self, statement: Any) -> list[Any]:
        with _storage_errors([self.table]):
            async with self.manager.engine.connect() as conn:
                return list((await conn.execute(statement)).all())

    async def _in_current(self, what: str, statement: Any, rows: Any = None) -> None:
        """Run ``statement`` on the transaction open in this task."""
        tx = _current(self.manager, what)
        with _storage_errors([self.table]):
            await (await tx.connect()).execute(statement, rows)

    async def add(self, messages: Sequence[OutboxMessage]) -> None:
        """Insert ``messages`` in the current transaction; known ids are skipped."""
        if not messages:
            return
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
        await self._in_current("writing outbox messages", statement, rows)

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
        rows = await self._write(statement)
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

    async def renew(
        self, relay_id: str, message_ids: Sequence[str], now: datetime, lease: float
    ) -> list[str]:
        """Extend the claims ``relay_id`` still holds (see the protocol)."""
        if not message_ids:
            return []
        t = self.table
        statement = (
            sa.update(t)
            .where(
                t.c.message_id.in_(list(message_ids)),
                t.c.claimed_by == relay_id,
                t.c.status == PENDING,
            )
            .values(claim_expires_at=now + timedelta(seconds=lease))
            .returning(t.c.message_id)
        )
        return [row.message_id for row in await self._write(statement)]

    async def mark_sent(self, message_id: str, now: datetime) -> None:
        """Record a delivery (a dead letter stays dead)."""
        t = self.table
        statement = (
            sa.update(t)
            .where(t.c.message_id == message_id, t.c.status == PENDING)
            .values(status=SENT, sent_at=now, claimed_by=None, claim_expires_at=None)
        )
        await self._write(statement)

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
        await self._write(statement)

    async def record_dead(
        self, message: OutboxMessage, error: str, attempts: int, now: datetime
    ) -> None:
        """Make ``message`` a dead letter in the current transaction (see the protocol)."""
        dead = {
            "status": DEAD,
            "body": message.body.decode(),
            "attempts": attempts,
            "last_error": error[:4000],
            "claimed_by": None,
            "claim_expires_at": None,
        }
        insert = self._insert().values(
            message_id=message.id,
            topic=message.topic,
            ordering_key=message.ordering_key,
            next_attempt_at=now,
            created_at=now,
            **dead,
        )
        # A purged row is written again; an existing one keeps its place and ordering key.
        statement = insert.on_conflict_do_update(index_elements=["message_id"], set_=dead)
        await self._in_current("recording a dead letter", statement)

    async def pending_count(self) -> int:
        """Messages not delivered yet."""
        t = self.table
        rows = await self._read(
            sa.select(sa.func.count()).select_from(t).where(t.c.status == PENDING)
        )
        return int(rows[0][0] or 0)

    async def get(self, message_id: str) -> OutboxRecord | None:
        """The record of one message."""
        t = self.table
        rows = await self._read(sa.select(t).where(t.c.message_id == message_id))
        if not rows:
            return None
        row = rows[0]
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
        rows = await self._read(sa.select(t.c.status, sa.func.count()).group_by(t.c.status))
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
        return int(await self._write(sa.delete(t).where(t.c.seq.in_(old.scalar_subquery()))))

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
        return int(await self._write(statement))


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
        with _storage_errors([self.table]):
            return (await (await tx.connect()).execute(statement)).first() is not None


def build_outbox_storage(persistence: Any) -> tuple[SQLAlchemyOutboxStore, SQLAlchemyJobLedger]:
    """The outbox store and job ledger of a :class:`SQLAlchemyPersistence`.

    Adds the outbox tables to the persistence's declarative base, so call it before
    ``persistence.start()`` creates the schema.
    """
    manager: SessionManager = persistence.session_manager
    tables = outbox_tables(persistence.base.metadata)
    return SQLAlchemyOutboxStore(manager, tables), SQLAlchemyJobLedger(manager, tables)
