"""The outbox and job-ledger tables, added to an application's metadata.

They live beside the application's tables (``create_all`` creates them; Alembic sees them), so
outbox rows are written on the same connection, in the same transaction, as business data.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

OUTBOX_TABLE = "loom_outbox"
LEDGER_TABLE = "loom_job_runs"

PENDING, SENT, DEAD = "pending", "sent", "dead"

# SQLite gives autoincrement only to a column typed exactly INTEGER PRIMARY KEY.
_SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIME = sa.DateTime(timezone=True)


@dataclass(frozen=True)
class OutboxTables:
    """The two tables of one metadata."""

    outbox: sa.Table
    ledger: sa.Table


def outbox_tables(metadata: sa.MetaData) -> OutboxTables:
    """The outbox tables of ``metadata``, defined on first call."""
    if OUTBOX_TABLE in metadata.tables:
        return OutboxTables(metadata.tables[OUTBOX_TABLE], metadata.tables[LEDGER_TABLE])
    outbox = sa.Table(
        OUTBOX_TABLE,
        metadata,
        # `seq` orders messages (ordering keys, oldest first); `message_id` is what consumers see.
        sa.Column("seq", _SEQ, primary_key=True, autoincrement=True),
        sa.Column("message_id", sa.String(64), nullable=False, unique=True),
        sa.Column("topic", sa.String(255), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("ordering_key", sa.String(255), nullable=True),
        sa.Column("status", sa.String(16), nullable=False, server_default=PENDING),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("next_attempt_at", _TIME, nullable=False),
        sa.Column("claimed_by", sa.String(128), nullable=True),
        sa.Column("claim_expires_at", _TIME, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("sent_at", _TIME, nullable=True),
        sa.Index(f"ix_{OUTBOX_TABLE}_due", "status", "next_attempt_at"),
        sa.Index(f"ix_{OUTBOX_TABLE}_ordering", "ordering_key", "seq"),
    )
    ledger = sa.Table(
        LEDGER_TABLE,
        metadata,
        sa.Column("job_id", sa.String(64), primary_key=True),
        sa.Column("job", sa.String(255), nullable=False),
        sa.Column("applied_at", _TIME, nullable=False),
    )
    return OutboxTables(outbox, ledger)
