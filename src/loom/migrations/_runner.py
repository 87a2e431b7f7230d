"""Where ``loom db``'s commands run, and how their failures read.

A command that changes the database runs on the application's database, in one transaction
holding the migration lock; a comparison runs on a scratch database. Either way a revision
that fails is named, and Alembic's own refusals become :class:`MigrationError` messages that
say what to do.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.script import Script
from alembic.script.revision import RevisionError
from alembic.util import CommandError
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from loom.core.config import LoomConfig
from loom.core.errors import LoomError
from loom.core.repository.sqlalchemy import SQLAlchemyPersistence
from loom.core.repository.sqlalchemy._boot import url_error, where
from loom.migrations._database import (
    connect,
    is_memory,
    locked,
    migration_engine,
    scratch_database,
    take_lock,
)
from loom.migrations._env import EnvState
from loom.migrations._errors import MigrationError
from loom.migrations._project import LOOM_BRANCH, MigrationProject
from loom.migrations._settings import MigrationsSettings

if TYPE_CHECKING:
    from loom.core.bootstrap import Kernel

T = TypeVar("T")
Work = Callable[[Connection, EnvState], T]


@dataclass
class Runner:
    """Runs work for one application's migrations on a connection, inside a transaction.

    Attributes:
        config: The application's configuration.
        settings: Its ``migrations`` section.
        kernel: A booting kernel whose engine serves an in-memory database (optional).
    """

    config: LoomConfig
    settings: MigrationsSettings
    kernel: Kernel | None = None

    @property
    def url(self) -> str:
        """The application's database URL."""
        return self.config.database.url

    def state(self, **fields: Any) -> EnvState:
        """What the environment gets, for this application."""
        return EnvState(self.url, self.settings.version_table, **fields)

    async def online(self, work: Work[T], *, lock: bool) -> T:
        """Run ``work`` on the application's database in one transaction (holding the
        migration lock when ``lock``)."""
        engine, owned = self._engine()
        try:
            conn = await connect(engine, self.url)
            try:
                return await conn.run_sync(self._transaction, work, self.state(), lock)
            finally:
                await conn.close()
        finally:
            if owned:
                await engine.dispose()

    async def scratch(
        self,
        work: Work[T],
        metadata: sa.MetaData,
        loom_tables: Collection[str],
        directives: Any = None,
    ) -> tuple[T, str]:
        """Run ``work`` on a scratch database of the application's dialect; its result and
        where the scratch database was, in words."""
        connect_args = self.config.database.connect_args
        async with scratch_database(self.url, connect_args) as (engine, at):
            conn = await connect(engine, self.url)
            state = self.state(metadata=metadata, loom_tables=loom_tables, directives=directives)

            def run(connection: Connection) -> T:
                with connection.begin():
                    state.connection = connection
                    return run_failing(work, connection, state, f"on {at}")

            try:
                return await conn.run_sync(run), at
            finally:
                await conn.close()

    def _transaction(self, connection: Connection, work: Work[T], state: EnvState, lock: bool) -> T:
        memory = connection.dialect.name == "sqlite" and is_memory(self.url)
        if memory:
            # The kernel's own connection: tables rebuilt by batch mode must not cascade.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        name, timeout = self.config.app.name, self.settings.lock_timeout
        try:
            try:
                transaction = connection.begin()  # SQLite: BEGIN IMMEDIATE waits for the lock
            except sa_exc.OperationalError as exc:
                if "locked" not in str(exc):
                    raise
                raise locked(name, connection, timeout) from exc
            with transaction:
                if lock:
                    take_lock(connection, name, timeout)
                state.connection = connection
                return run_failing(work, connection, state, f"on {where(self.url)}")
        finally:
            if memory:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()

    def _engine(self) -> tuple[AsyncEngine, bool]:
        """The engine to migrate with, and whether it is this runner's to dispose of."""
        url = self.url
        if is_memory(url):
            if self.kernel is not None:
                return persistence(self.kernel).session_manager.engine, False
            raise MigrationError(
                f"database.url {url!r} is an in-memory SQLite database, which lives inside "
                "one process only: there is nothing `loom db` could migrate; point it at a "
                "file (sqlite+aiosqlite:///./app.db) or a server",
                code="migration_failed",
            )
        try:
            engine = migration_engine(
                url, self.config.database.connect_args, lock_timeout=self.settings.lock_timeout
            )
        except (sa_exc.ArgumentError, sa_exc.InvalidRequestError, ImportError) as exc:
            raise url_error(url, exc) from exc
        return engine, True


def run_failing(work: Work[T], connection: Connection, state: EnvState, place: str) -> T:
    """``work(connection, state)``; a database error names the revision that raised it."""
    try:
        return work(connection, state)
    except (LoomError, KeyboardInterrupt):
        raise
    except sa_exc.DBAPIError as exc:
        revision = _failed_revision(exc)
        kept = ", ".join(step.revision for step in state.applied)
        raise MigrationError(
            f"the revision {revision or '?'} failed {place}: {first_line(exc)}; it ran in one "
            "transaction with the rest of this command, which was rolled back (the revisions "
            f"that had run, {kept or 'none'}, were undone too); fix the revision and run it "
            "again",
            code="migration_failed",
        ) from exc


def alembic(project: MigrationProject, run: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run an Alembic command; its refusals as :class:`MigrationError` with the fix."""
    try:
        return run(*args, **kwargs)
    except (CommandError, RevisionError) as exc:
        text = first_line(exc)
        if "Can't locate revision identified by" in text:
            revision = text.split("'")[1] if "'" in text else text
            raise project.unknown(revision, exc) from exc
        if "is not a valid downgrade target" in text:
            raise MigrationError(
                f"{text}: a downgrade goes to a revision below the database's current one; "
                f"`loom db current {project.config_name}` shows where it is",
                code="unknown_revision",
            ) from exc
        raise MigrationError(f"Alembic refused: {text}", code="migration_failed") from exc


def current_heads(connection: Connection, version_table: str) -> tuple[str, ...]:
    """The revisions recorded in the database's version table."""
    context = MigrationContext.configure(connection, opts={"version_table": version_table})
    return tuple(context.get_current_heads())


def refuse_unknown(project: MigrationProject, current: tuple[str, ...], url: str) -> None:
    """Fail when the database is at a revision the code does not have.

    Raises:
        MigrationError: ``database_ahead``, naming the database's revision and the code's heads.
    """
    unknown = [rev for rev in current if not project.known(rev)]
    if not unknown:
        return
    found = [*project.heads(), *project.heads(LOOM_BRANCH)]
    heads = ", ".join(head.id for head in found) or "none"
    raise MigrationError(
        f"{where(url)} is at revision {', '.join(unknown)}, which the migrations in "
        f"{project.versions} do not have (their head: {heads}): the database was migrated by "
        "newer code. Deploy that code, or downgrade the database with it (`loom db "
        "downgrade`); the application does not start on a schema it does not know",
        code="database_ahead",
    )


def written_script(written: Any) -> Script | None:
    """The script an Alembic command wrote (it answers a list, or nothing, at times)."""
    if isinstance(written, list):
        return written[0] if written else None
    return written if isinstance(written, Script) else None


def persistence(kernel: Kernel) -> SQLAlchemyPersistence:
    """The kernel's SQLAlchemy persistence (its engine and its models' metadata)."""
    found = kernel.persistence
    if not isinstance(found, SQLAlchemyPersistence):
        raise MigrationError(
            f"migrations need the SQLAlchemy persistence; this kernel runs on "
            f"{type(found).__name__}",
            code="migration_failed",
        )
    return found


def _failed_revision(exc: BaseException) -> str | None:
    """The revision whose ``upgrade()``/``downgrade()`` raised (its module's ``revision``)."""
    found = None
    for frame, _ in traceback.walk_tb(exc.__traceback__):
        module = frame.f_globals
        if "revision" in module and "down_revision" in module and "upgrade" in module:
            found = str(module["revision"])
    return found


def first_line(exc: BaseException) -> str:
    """The first line of what ``exc`` (or the driver error inside it) says."""
    original: Any = getattr(exc, "orig", None) or exc
    text = str(original).strip().splitlines()
    return text[0] if text else type(original).__name__
