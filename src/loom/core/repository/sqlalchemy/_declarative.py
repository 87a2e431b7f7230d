"""The SQLAlchemy side of models: the declarative base and column mixins.

Struct models compile into tables of :class:`Base`'s metadata (and mapped classes deriving from
it, for Alembic autogenerate). The mixins serve code that declares SQLAlchemy classes directly.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from loom.core.model import current_actor

NAMING_CONVENTION: dict[str, str] = {
    "pk": "pk_%(table_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
}
"""How constraints and indexes are named in every Loom metadata.

Names come from the table and columns, never from the database, so two developers generate
the same migration and a downgrade (or SQLite's batch mode) finds by name what an upgrade made.
"""


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Base SQLAlchemy declarative class; its metadata holds every compiled model table.

    Subclass it (``class AppBase(Base): metadata = sa.MetaData()``) to give one application
    its own tables and model registry.
    """

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class IdentityMixin:
    """Integer primary key ``id``."""

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True
    )


class TimestampMixin:
    """``created_at`` / ``updated_at`` in UTC, set on insert and on every update."""

    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=_utcnow, server_default=sa.func.now()
    )
    updated_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=_utcnow, onupdate=_utcnow, server_default=sa.func.now()
    )


class AuditActorMixin:
    """``created_by`` / ``updated_by``, filled from :data:`loom.core.model.current_actor`."""

    created_by: Mapped[str | None] = mapped_column(
        sa.String(255), default=lambda: current_actor.get()
    )
    updated_by: Mapped[str | None] = mapped_column(
        sa.String(255),
        default=lambda: current_actor.get(),
        onupdate=lambda: current_actor.get(),
    )


class BaseModel(Base, IdentityMixin, TimestampMixin):
    """Abstract declarative base with identity and timestamps."""

    __abstract__ = True


class AuditableModel(Base, IdentityMixin, TimestampMixin, AuditActorMixin):
    """Abstract declarative base with identity, timestamps and actor tracking."""

    __abstract__ = True
