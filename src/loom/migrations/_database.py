"""The connections migrations run on: the application's database, and scratch databases.

Migrations run in one transaction that first takes a lock, so that of several processes
migrating at once exactly one applies each revision and a failure leaves the database at the
revision it started from: on PostgreSQL a transaction-level advisory lock per application name;
on SQLite ``BEGIN IMMEDIATE`` (SQLite's write lock), on a connection that leaves transactions
to Loom instead of the driver, so DDL is transactional there too. Foreign keys stay off on that
SQLite connection: batch mode recreates tables, which must not cascade.

A scratch database (``loom db check``, ``loom db revision --autogenerate``) is an in-memory
SQLite database, or a schema of its own on the application's PostgreSQL server, dropped after.
"""

from __future__ import annotations

import contextlib
import hashlib
import uuid
from collections.abc import AsyncIterator, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

# The adapter's own wording of a database that cannot be reached (where, what to do).
from loom.core.repository.sqlalchemy._boot import connect_error, safe_url, where
from loom.core.repository.sqlalchemy._errors import _sqlstate
from loom.migrations._errors import MigrationError

MEMORY = "sqlite+aiosqlite:///:memory:"


def is_memory(url: str) -> bool:
    """Whether ``url`` is an in-memory SQLite database (one per connection)."""
    parsed = make_url(url)
    return parsed.get_backend_name() == "sqlite" and (
        parsed.database in (None, "", ":memory:") or "mode=memory" in url
    )


def lock_key(app_name: str) -> int:
    """The PostgreSQL advisory lock key of ``app_name``'s migrations (a signed 64-bit int)."""
    digest = hashlib.blake2b(f"loom.migrations:{app_name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def migration_engine(
    url: str, connect_args: Mapping[str, Any] | None = None, *, lock_timeout: float = 300.0
) -> AsyncEngine:
    """An engine for migrations: no pool, and on SQLite transactions that take the write lock.

    Args:
        url: The database URL.
        connect_args: The application's ``database.connect_args``.
        lock_timeout: Seconds a SQLite connection waits for another writer.
    """
    args = dict(connect_args or {})
    if make_url(url).get_backend_name() != "sqlite":
        return create_async_engine(url, poolclass=NullPool, connect_args=args)
    args.setdefault("timeout", lock_timeout)  # sqlite3's busy timeout, in seconds
    engine = create_async_engine(url, poolclass=NullPool, connect_args=args)
    _own_sqlite_transactions(engine)
    return engine


def _own_sqlite_transactions(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver would open transactions lazily, and never before DDL.
        dbapi_connection.isolation_level = None

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


async def connect(engine: AsyncEngine, url: str) -> AsyncConnection:
    """Open a connection, failing with the adapter's description of an unreachable database."""
    try:
        return await engine.connect()
    except Exception as exc:
        raise connect_error(url, exc) from exc


def take_lock(connection: Connection, app_name: str, lock_timeout: float) -> None:
    """Inside the open transaction: wait for the migration lock of ``app_name``.

    On SQLite the transaction's ``BEGIN IMMEDIATE`` holds the lock already. On PostgreSQL the
    advisory lock is released with the transaction; statements of migrations get no timeout
    (an index build may take long), the wait for the lock gets ``lock_timeout``.

    Raises:
        MigrationError: ``migration_locked``: another process held it for ``lock_timeout``.
    """
    if connection.dialect.name != "postgresql":
        return
    timeout = f"{int(lock_timeout * 1000)}ms"
    connection.execute(sa.text("SELECT set_config('statement_timeout', '0', true)"))
    previous = connection.execute(sa.text("SELECT current_setting('lock_timeout')")).scalar()
    connection.execute(sa.text("SELECT set_config('lock_timeout', :t, true)"), {"t": timeout})
    try:
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock_key(app_name)})
    except sa.exc.DBAPIError as exc:
        if _sqlstate(exc.orig) != "55P03":
            raise
        raise locked(app_name, connection, lock_timeout) from exc
    connection.execute(sa.text("SELECT set_config('lock_timeout', :t, true)"), {"t": previous})


def locked(app_name: str, connection: Connection, lock_timeout: float) -> MigrationError:
    """The error for a migration lock that was not free within ``lock_timeout`` seconds."""
    place = where(connection.engine.url.render_as_string(hide_password=False))
    return MigrationError(
        f"another process of {app_name!r} has been migrating {place} for more than "
        f"{lock_timeout:g} s (it holds the migration lock); wait for it to finish and start "
        "again, or raise migrations.lock_timeout",
        code="migration_locked",
    )


@contextlib.asynccontextmanager
async def scratch_database(
    url: str, connect_args: Mapping[str, Any] | None = None
) -> AsyncIterator[tuple[AsyncEngine, str]]:
    """A throwaway database of ``url``'s dialect: in-memory SQLite, or a PostgreSQL schema.

    Yields:
        The engine (hold one connection: an in-memory database lives in it) and where it is,
        in words.

    Raises:
        LoomError: The PostgreSQL server cannot be reached, or refuses to create a schema.
    """
    if make_url(url).get_backend_name() == "sqlite":
        engine = migration_engine(MEMORY)
        try:
            yield engine, "an in-memory SQLite database"
        finally:
            await engine.dispose()
        return
    schema = f"loom_scratch_{uuid.uuid4().hex[:12]}"
    admin = migration_engine(url, connect_args)
    try:
        await _create_schema(admin, url, schema)
        args = dict(connect_args or {})
        settings = dict(args.get("server_settings") or {})
        settings["search_path"] = schema
        args["server_settings"] = settings
        engine = migration_engine(url, args)
        try:
            yield engine, f"the temporary schema {schema} of {where(url)}"
        finally:
            await engine.dispose()
            async with admin.begin() as conn:
                await conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    finally:
        await admin.dispose()


async def _create_schema(admin: AsyncEngine, url: str, schema: str) -> None:
    conn = await connect(admin, url)
    try:
        async with conn.begin():
            await conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except sa.exc.DBAPIError as exc:
        raise MigrationError(
            f"a scratch schema cannot be created on {where(url)} ({safe_url(url)}): "
            f"{_first_line(exc)}; the comparison runs in a temporary schema, so the user of "
            "database.url needs the CREATE privilege on the database",
            code="migration_failed",
        ) from exc
    finally:
        await conn.close()


def _first_line(exc: BaseException) -> str:
    original: Any = getattr(exc, "orig", None) or exc
    text = str(original).strip().splitlines()
    return text[0] if text else type(original).__name__
