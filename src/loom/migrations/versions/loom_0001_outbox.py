"""Loom's outbox, job runs and cache journal

The outbox holds the jobs and events committed with the business data until the relay hands
them on (its ``dead`` rows are the dead letters); the job runs are the idempotency records of
``__idempotent__`` jobs; the cache journal records invalidations that could not reach Redis.

Revision ID: loom_0001
Revises:
Create Date: 2025-01-01 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "loom_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("loom",)
depends_on: str | Sequence[str] | None = None

_SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "loom_cache_invalidations",
        sa.Column("id", _SEQ, autoincrement=True, nullable=False),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loom_cache_invalidations")),
    )
    op.create_table(
        "loom_job_runs",
        sa.Column("job_id", sa.String(length=64), nullable=False),
        sa.Column("job", sa.String(length=255), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("job_id", name=op.f("pk_loom_job_runs")),
    )
    op.create_table(
        "loom_outbox",
        sa.Column("seq", _SEQ, autoincrement=True, nullable=False),
        sa.Column("message_id", sa.String(length=64), nullable=False),
        sa.Column("topic", sa.String(length=255), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("ordering_key", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=128), nullable=True),
        sa.Column("claim_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_loom_outbox")),
        sa.UniqueConstraint("message_id", name=op.f("uq_loom_outbox_message_id")),
    )
    with op.batch_alter_table("loom_outbox") as batch_op:
        batch_op.create_index("ix_loom_outbox_due", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index("ix_loom_outbox_ordering", ["ordering_key", "seq"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("loom_outbox") as batch_op:
        batch_op.drop_index("ix_loom_outbox_ordering")
        batch_op.drop_index("ix_loom_outbox_due")
    op.drop_table("loom_outbox")
    op.drop_table("loom_job_runs")
    op.drop_table("loom_cache_invalidations")
