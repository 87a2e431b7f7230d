"""``SQLAlchemyInvalidationJournal``: lost cache invalidations, kept in the application's database.

A process whose counter bump did not reach Redis records the intent here after its commit; every
process with a cache reads the table (woken at once by PostgreSQL ``NOTIFY``, else by its poll)
and the first that reaches Redis applies the records by replacing the cache epoch. The table
lives beside the application's tables (``create_all`` creates it, Alembic sees it).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from loom.core.cache import JournalListener, Wake
from loom.core.outbox import utc_now
from loom.core.repository.sqlalchemy._compiler import registry_for
from loom.core.repository.sqlalchemy._session import SessionManager

logger = logging.getLogger("loom.cache")

CACHE_JOURNAL_TABLE = "loom_cache_invalidations"
CHANNEL = "loom_cache_invalidations"
"""The PostgreSQL notification channel a record is announced on."""

_TAGS_KEPT = 50
"""Tags written per record (diagnostics only: applying any record replaces the epoch)."""

# SQLite gives autoincrement only to a column typed exactly INTEGER PRIMARY KEY.
_SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def cache_journal_table(metadata: sa.MetaData) -> sa.Table:
    """The journal table of ``metadata``, defined on first call."""
    table = metadata.tables.get(CACHE_JOURNAL_TABLE)
    if table is not None:
        return table
    return sa.Table(
        CACHE_JOURNAL_TABLE,
        metadata,
        sa.Column("id", _SEQ, primary_key=True, autoincrement=True),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )


class _Listener:
    """``LISTEN`` on a connection of its own, detached from the pool (it counts in no pool
    limit and goes back to no one when closed)."""

    def __init__(self, connection: AsyncConnection, driver: Any) -> None:
        self._connection = connection
        self._driver = driver

    @property
    def alive(self) -> bool:
        return not self._driver.is_closed()

    async def close(self) -> None:
        try:
            await self._connection.close()
        except Exception as exc:
            logger.debug("closing the cache journal listener failed: %r", exc)


class SQLAlchemyInvalidationJournal:
    """The :class:`~loom.core.cache.InvalidationJournal` of one session manager.

    Every call runs on a connection of its own, outside any transaction open in the task (the
    write that lost its bump has committed already).

    Args:
        manager: The application's session manager.
        table: Its journal table (default: :func:`cache_journal_table` of the metadata of
            ``manager.base``, which ``manager.create_all()`` then creates).

    Example:
        >>> journal = SQLAlchemyInvalidationJournal(sm)  # doctest: +SKIP
        >>> resolver = GenerationalDependencyResolver(counters, journal=journal)  # doctest: +SKIP
    """

    def __init__(self, manager: SessionManager, table: sa.Table | None = None) -> None:
        self.manager = manager
        if table is None:
            table = cache_journal_table(registry_for(manager.base).metadata)
        self.table = table
        self._postgres = manager.dialect_name == "postgresql"

    async def ready(self) -> bool:
        """Whether the journal's table exists."""
        table = self.table
        async with self.manager.engine.connect() as conn:
            return bool(
                await conn.run_sync(
                    lambda sync: sa.inspect(sync).has_table(table.name, schema=table.schema)
                )
            )

    async def record(self, tags: Sequence[str]) -> int:
        """Record one lost invalidation (committed on return) and announce it."""
        shown = list(tags[:_TAGS_KEPT])
        if len(tags) > _TAGS_KEPT:
            shown.append(f"... {len(tags) - _TAGS_KEPT} more")
        table = self.table
        async with self.manager.engine.begin() as conn:
            statement = (
                table.insert()
                .values(tags=" ".join(shown), recorded_at=utc_now())
                .returning(table.c.id)
            )
            record_id = int((await conn.execute(statement)).scalar_one())
            if self._postgres:
                # Delivered at COMMIT, to every session listening on the database.
                await conn.execute(sa.select(sa.func.pg_notify(CHANNEL, str(record_id))))
        return record_id

    async def pending(self, limit: int = 1000) -> list[int]:
        """Ids not applied yet, oldest first."""
        statement = sa.select(self.table.c.id).order_by(self.table.c.id).limit(limit)
        async with self.manager.engine.connect() as conn:
            return [int(row[0]) for row in await conn.execute(statement)]

    async def contains(self, record_id: int) -> bool:
        """Whether ``record_id`` waits to be applied."""
        statement = sa.select(self.table.c.id).where(self.table.c.id == record_id)
        async with self.manager.engine.connect() as conn:
            return (await conn.execute(statement)).first() is not None

    async def backlog(self, older_than: float) -> bool:
        """Whether a record has waited more than ``older_than`` seconds."""
        cutoff = utc_now() - timedelta(seconds=older_than)
        statement = sa.select(self.table.c.id).where(self.table.c.recorded_at < cutoff).limit(1)
        async with self.manager.engine.connect() as conn:
            return (await conn.execute(statement)).first() is not None

    async def remove(self, record_ids: Sequence[int]) -> None:
        """Forget applied records."""
        if not record_ids:
            return
        statement = sa.delete(self.table).where(self.table.c.id.in_(list(record_ids)))
        async with self.manager.engine.begin() as conn:
            await conn.execute(statement)

    async def listen(self, wake: Wake) -> JournalListener | None:
        """On PostgreSQL, call ``wake`` whenever a record is announced; ``None`` elsewhere."""
        if not self._postgres:
            return None
        connection = await self.manager.engine.connect()
        try:
            raw = await connection.get_raw_connection()
            driver = raw.driver_connection  # asyncpg's connection (gone from raw once detached)
            assert driver is not None
            raw.detach()

            def announced(*_args: Any) -> None:
                wake()

            await driver.add_listener(CHANNEL, announced)
        except BaseException:
            await connection.close()
            raise
        return _Listener(connection, driver)


def build_cache_journal(persistence: Any) -> SQLAlchemyInvalidationJournal | None:
    """The invalidation journal of a :class:`SQLAlchemyPersistence`, or ``None`` when its
    database lives in this process's memory (no other process can share it).

    Adds the journal table to the persistence's declarative base, so call it before
    ``persistence.start()`` creates the schema.
    """
    manager: SessionManager = persistence.session_manager
    url = manager.engine.url
    if manager.dialect_name == "sqlite" and (
        url.database in (None, "", ":memory:") or url.query.get("mode") == "memory"
    ):
        return None
    return SQLAlchemyInvalidationJournal(manager, cache_journal_table(persistence.base.metadata))
