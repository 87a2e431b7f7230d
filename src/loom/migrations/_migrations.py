"""``Migrations``: the commands of ``loom db``, for one application.

Commands that change the database run in one transaction that holds the migration lock (see
``_database``). Commands that compare (``check``, ``revision --autogenerate``) upgrade a
scratch database to the migrations' head and compare it with the models, so they never need
the application's database to be upgraded, and never touch it.
"""

from __future__ import annotations

import io
import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import Script
from alembic.script.revision import RevisionError
from alembic.util import CommandError
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from loom.core.config import LoomConfig, load_config
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
from loom.migrations._describe import describe
from loom.migrations._env import EnvState, Step
from loom.migrations._errors import MigrationError
from loom.migrations._loom_schema import LOOM_TABLES
from loom.migrations._project import LOOM_BRANCH, MigrationProject, RevisionInfo
from loom.migrations._settings import MigrationsSettings
from loom.migrations._targets import HEADS, downgrade_target, upgrade_targets

if TYPE_CHECKING:
    from loom.core.bootstrap import Components, Kernel

logger = logging.getLogger("loom.migrations")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Status:
    """Where the database is against the migrations.

    Attributes:
        current: The revisions recorded in the database's version table.
        unknown: Those the code does not have (the database was migrated by newer code).
        heads: The heads of the code's migrations (the application's and Loom's).
        pending: Revisions not applied yet, oldest first.
    """

    current: tuple[str, ...]
    unknown: tuple[str, ...]
    heads: tuple[RevisionInfo, ...]
    pending: tuple[RevisionInfo, ...]

    @property
    def behind(self) -> bool:
        """Whether revisions are waiting to be applied."""
        return bool(self.pending)


@dataclass(frozen=True, slots=True)
class RevisionResult:
    """What ``revision`` did.

    Attributes:
        path: The file written (``None`` when autogenerate found nothing to write).
        revision: Its revision id.
        changes: The differences autogenerate found, in words.
    """

    path: Path | None
    revision: str | None
    changes: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class CheckResult:
    """What ``check`` found.

    Attributes:
        differences: Where the models and the migrations' head disagree (empty: they agree).
        heads: The heads the scratch database was upgraded to.
        scratch: Where the comparison ran, in words.
    """

    differences: list[str]
    heads: list[str]
    scratch: str


class Migrations:
    """The migrations of one application, ``loom db``'s commands as methods.

    Args:
        config: The application's configuration (its ``migrations`` section, its database).
        config_name: How messages name the config file (default: the last file read).
        kernel: A kernel that is booting (``database.schema: migrate``): its engine and models
            are used instead of new ones.
        components: Explicit components for the kernel that compiles the models (default:
            discovered from ``config.app``).
    """

    def __init__(
        self,
        config: LoomConfig,
        *,
        config_name: str | None = None,
        kernel: Kernel | None = None,
        components: Components | None = None,
    ) -> None:
        self.config = config
        settings = config.extensions.get("migrations")
        if not isinstance(settings, MigrationsSettings):
            settings = MigrationsSettings()
        self.settings = settings
        files = config.source_files
        self.config_name = config_name or (str(files[-1]) if files else "CONFIG")
        self._kernel = kernel
        self._components = components
        self._project: MigrationProject | None = None

    @classmethod
    def from_file(cls, path: str | Path) -> Migrations:
        """The migrations of the application configured by ``path``.

        Raises:
            ConfigError: The file is missing or invalid.
        """
        return cls(load_config(path), config_name=str(path))

    @property
    def project(self) -> MigrationProject:
        """The migration folder with Loom's branch.

        Raises:
            MigrationError: The configuration was not read from a file and names no folder.
        """
        if self._project is None:
            self._project = MigrationProject(
                self._folder(), self.settings.version_table, self.config_name
            )
        return self._project

    def _folder(self) -> Path:
        # The first file read is the application's base config (with includes, the innermost
        # one): an overlay in another folder that includes it shares its migrations.
        files = self.config.source_files
        base = files[0].resolve().parent if files else None
        path = Path(self.settings.path) if self.settings.path else Path("migrations")
        if path.is_absolute():
            return path
        if base is None:
            raise MigrationError(
                "no migration folder: the configuration was not read from a file, so there is "
                "no folder beside it; set migrations.path to an absolute path",
                code="migrations_missing",
            )
        return base / path

    @property
    def _url(self) -> str:
        return self.config.database.url

    # -- without a database ----------------------------------------------------------------

    def init(self) -> list[Path]:
        """Create the migration folder (``env.py``, ``script.py.mako``, ``versions/``).

        Raises:
            MigrationError: The folder exists and is not empty.
        """
        return self.project.create()

    def history(self) -> list[RevisionInfo]:
        """Every revision, newest first (the application's and Loom's)."""
        return list(self.project.revisions())

    def heads(self) -> list[RevisionInfo]:
        """The heads: the application's (one, unless branches need a merge) and Loom's."""
        project = self.project
        return [*project.heads(), *project.heads(LOOM_BRANCH)]

    def merge(self, message: str) -> RevisionInfo:
        """Write a revision that joins the application's heads.

        Raises:
            MigrationError: The application has a single head: nothing to merge.
        """
        project = self.project
        heads = [head.id for head in project.heads()]
        if len(heads) < 2:
            raise MigrationError(
                f"nothing to merge: the migrations have one head ({heads[0] if heads else 'none'})",
                code="nothing_to_merge",
            )
        config = project.config(EnvState(self._url, self.settings.version_table))
        script = self._alembic(command.merge, config, heads, message=message)
        project.forget()
        assert script is not None  # a merge of two heads always writes a file
        return project.info(script)

    def sql(self, target: str | None = None, start: str | None = None) -> str:
        """The SQL of an upgrade, for a database administrator to run (no connection made).

        Args:
            target: Where to upgrade to (default: head).
            start: The revision the database is at (default: an empty database).
        """
        project = self.project
        project.app_head()
        for given in (target, start):
            if given is not None and given.startswith(("+", "-")):
                raise MigrationError(
                    f"sql {given}: offline SQL has no database to count from; give revision ids",
                    code="unknown_revision",
                )
        output = io.StringIO()
        config = project.config(EnvState(self._url, self.settings.version_table), output=output)
        end = "heads" if target is None or target in HEADS else project.get(target).revision
        span = f"{project.get(start).revision}:{end}" if start is not None else end
        self._alembic(command.upgrade, config, span, sql=True)
        return output.getvalue()

    # -- comparing on a scratch database ---------------------------------------------------

    async def revision(
        self, message: str, *, autogenerate: bool = False, empty: bool = False
    ) -> RevisionResult:
        """Write a revision of the application, empty or with what the models changed.

        Args:
            message: What the revision does (its docstring and the file name).
            autogenerate: Compare the models with the migrations' head (on a scratch
                database) and write the difference.
            empty: With ``autogenerate``, write the file even when nothing changed.

        Raises:
            MigrationError: No folder, several heads, or the models cannot be compiled.
        """
        project = self.project
        head = project.app_head()
        options = {"head": head or "base", "version_path": str(project.versions)}
        if not autogenerate:
            config = project.config(EnvState(self._url, self.settings.version_table))
            written = self._alembic(command.revision, config, message, **options)
            project.forget()
            script = _one(written)
            assert script is not None  # without autogenerate a file is always written
            return RevisionResult(Path(script.path), script.revision)
        changes: list[str] = []

        def directives(_context: Any, _revision: Any, scripts: list[Any]) -> None:
            upgrade = scripts[0].upgrade_ops
            changes.extend(describe(upgrade.as_diffs()))
            if upgrade.is_empty() and not empty:
                scripts[:] = []

        def work(connection: Connection, state: EnvState) -> Any:
            config = project.config(state)
            self._alembic(command.upgrade, config, "heads")
            return self._alembic(command.revision, config, message, autogenerate=True, **options)

        written, _ = await self._on_scratch(work, directives=directives)
        project.forget()
        script = _one(written)
        if script is None:
            return RevisionResult(None, None, changes)
        return RevisionResult(Path(script.path), script.revision, changes)

    async def check(self) -> CheckResult:
        """Compare the models with the migrations' head, on a scratch database.

        Raises:
            MigrationError: No folder, several heads, or a revision that fails.
        """
        project = self.project
        project.app_head()
        found: list[str] = []

        def work(connection: Connection, state: EnvState) -> None:
            self._alembic(command.upgrade, project.config(state), "heads")
            context = MigrationContext.configure(connection, opts=state.options())
            assert state.metadata is not None
            found.extend(describe(compare_metadata(context, state.metadata)))

        _, scratch = await self._on_scratch(work)
        heads = [head.id for head in self.heads()]
        return CheckResult(found, heads, scratch)

    async def _on_scratch(
        self, work: Callable[[Connection, EnvState], T], *, directives: Any = None
    ) -> tuple[T, str]:
        """Run ``work`` on a scratch database; its result and where the database was."""
        metadata = await self.metadata()
        async with scratch_database(self._url, self.config.database.connect_args) as (engine, at):
            conn = await connect(engine, self._url)
            try:
                state = EnvState(
                    self._url,
                    self.settings.version_table,
                    metadata=metadata,
                    loom_tables=LOOM_TABLES,
                    directives=directives,
                )

                def run(connection: Connection) -> T:
                    with connection.begin():
                        state.connection = connection
                        return self._failing(work, connection, state, f"on {at}")

                result = await conn.run_sync(run)
            finally:
                await conn.close()
        return result, at

    async def metadata(self) -> sa.MetaData:
        """The metadata of the application's models and of Loom's tables, as the kernel
        compiles them (a kernel is booted without touching the database when none is given)."""
        kernel = self._kernel
        if kernel is not None:
            return _persistence(kernel).base.metadata  # type: ignore[no-any-return]
        from loom.core.bootstrap import Kernel

        config = self.config
        # Booted for its models only: no schema change, no relay, and no warning about a
        # cursor key that signs nothing here.
        quiet = msgspec.structs.replace(
            config,
            database=msgspec.structs.replace(config.database, schema="none"),
            outbox=msgspec.structs.replace(config.outbox, enabled=False),
            security=msgspec.structs.replace(
                config.security, cursor_secret=config.security.cursor_secret or "unused"
            ),
        )
        async with Kernel(quiet, self._components) as booted:
            return _persistence(booted).base.metadata  # type: ignore[no-any-return]

    # -- on the application's database ----------------------------------------------------

    async def upgrade(self, target: str | None = None) -> list[Step]:
        """Apply the revisions up to ``target`` (default: head), Loom's branch to its head.

        Raises:
            MigrationError: No folder, several heads, an unknown revision, a database newer
                than the code, a revision that fails (nothing of the upgrade is kept), or the
                lock held by another process beyond ``migrations.lock_timeout``.
        """
        project = self.project
        project.app_head()

        def work(connection: Connection, state: EnvState) -> list[Step]:
            current = self._current(connection)
            self._refuse_unknown(current, connection)
            config = project.config(state)
            for alembic_target in upgrade_targets(project, target, current):
                self._alembic(command.upgrade, config, alembic_target)
            return state.applied

        return await self._online(work, lock=True)

    async def downgrade(self, target: str) -> list[Step]:
        """Revert revisions down to ``target``: an id, ``-N`` (the application's branch), or
        ``base`` (everything, Loom's tables too).

        Raises:
            MigrationError: An unknown revision, or a revision that fails (nothing is kept).
        """
        project = self.project

        def work(connection: Connection, state: EnvState) -> list[Step]:
            current = self._current(connection)
            self._refuse_unknown(current, connection)
            alembic_target = downgrade_target(project, target, current)
            self._alembic(command.downgrade, project.config(state), alembic_target)
            return state.applied

        return await self._online(work, lock=True)

    async def stamp(self, target: str) -> list[Step]:
        """Record ``target`` (``head``: every head) as applied without running it: for a
        database whose tables exist already (made by ``create_all``)."""
        project = self.project
        project.app_head()
        if target.startswith(("+", "-")):
            raise MigrationError(
                f"stamp {target}: give a revision id or head", code="unknown_revision"
            )
        resolved = "heads" if target in HEADS else target
        if resolved not in ("heads", "base") and "@" not in resolved:
            resolved = project.get(resolved).revision

        def work(connection: Connection, state: EnvState) -> list[Step]:
            self._alembic(command.stamp, project.config(state), resolved)
            return state.applied

        return await self._online(work, lock=True)

    async def status(self) -> Status:
        """Where the database is: its revisions, the code's heads, what is pending."""
        project = self.project

        def work(connection: Connection, _state: EnvState) -> Status:
            current = self._current(connection)
            unknown = tuple(rev for rev in current if not project.known(rev))
            applied: set[str] = set()
            script = project.script()
            for rev in current:
                if rev not in unknown:
                    applied.update(s.revision for s in script.iterate_revisions(rev, "base"))
            pending = [r for r in project.revisions() if r.id not in applied]
            return Status(tuple(current), unknown, tuple(self.heads()), tuple(reversed(pending)))

        return await self._online(work, lock=False)

    async def upgrade_at_boot(self) -> list[Step]:
        """``database.schema: migrate``: upgrade to head before the application starts.

        Raises:
            MigrationError: As :meth:`upgrade`; a database newer than the code refuses the
                start, naming the database's revision and the code's head.
        """
        steps = await self.upgrade()
        if steps:
            logger.info(
                "database.schema is 'migrate': applied %d revision(s) to %s: %s",
                len(steps),
                where(self._url),
                ", ".join(step.revision for step in steps),
            )
        return steps

    def _current(self, connection: Connection) -> tuple[str, ...]:
        context = MigrationContext.configure(
            connection, opts={"version_table": self.settings.version_table}
        )
        return tuple(context.get_current_heads())

    def _refuse_unknown(self, current: tuple[str, ...], connection: Connection) -> None:
        project = self.project
        unknown = [rev for rev in current if not project.known(rev)]
        if not unknown:
            return
        heads = ", ".join(head.id for head in self.heads()) or "none"
        place = where(self._url)
        raise MigrationError(
            f"{place} is at revision {', '.join(unknown)}, which the migrations in "
            f"{project.versions} do not have (their head: {heads}): the database was migrated "
            "by newer code. Deploy that code, or downgrade the database with it (`loom db "
            "downgrade`); the application does not start on a schema it does not know",
            code="database_ahead",
        )

    async def _online(self, work: Callable[[Connection, EnvState], T], *, lock: bool) -> T:
        engine, owned = self._engine()
        try:
            conn = await connect(engine, self._url)
            try:
                state = EnvState(self._url, self.settings.version_table)
                return await conn.run_sync(self._transaction, work, state, lock)
            finally:
                await conn.close()
        finally:
            if owned:
                await engine.dispose()

    def _transaction(
        self,
        connection: Connection,
        work: Callable[[Connection, EnvState], T],
        state: EnvState,
        lock: bool,
    ) -> T:
        memory = connection.dialect.name == "sqlite" and is_memory(self._url)
        if memory:
            # The kernel's own connection: tables rebuilt by batch mode must not cascade.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            try:
                transaction = connection.begin()
            except sa_exc.OperationalError as exc:
                if "locked" not in str(exc):
                    raise
                raise locked(self.config.app.name, connection, self.settings.lock_timeout) from exc
            with transaction:
                if lock:
                    take_lock(connection, self.config.app.name, self.settings.lock_timeout)
                state.connection = connection
                return self._failing(work, connection, state, f"on {where(self._url)}")
        finally:
            if memory:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()

    def _failing(
        self,
        work: Callable[[Connection, EnvState], T],
        connection: Connection,
        state: EnvState,
        place: str,
    ) -> T:
        try:
            return work(connection, state)
        except (LoomError, KeyboardInterrupt):
            raise
        except sa_exc.DBAPIError as exc:
            revision = _failed_revision(exc)
            kept = ", ".join(step.revision for step in state.applied)
            raise MigrationError(
                f"the revision {revision or '?'} failed {place}: {_first_line(exc)}; it ran in "
                f"one transaction with the rest of this command, which was rolled back (the "
                f"revisions that had run, {kept or 'none'}, were undone too); fix the revision "
                "and run it again",
                code="migration_failed",
            ) from exc

    def _engine(self) -> tuple[AsyncEngine, bool]:
        url = self._url
        if is_memory(url):
            if self._kernel is not None:
                return _persistence(self._kernel).session_manager.engine, False
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

    def _alembic(self, run: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return run(*args, **kwargs)
        except (CommandError, RevisionError) as exc:
            raise self._translated(exc) from exc

    def _translated(self, exc: Exception) -> MigrationError:
        text = _first_line(exc)
        if "Can't locate revision identified by" in text:
            revision = text.split("'")[1] if "'" in text else text
            return self.project.unknown(revision, exc)
        if "is not a valid downgrade target" in text:
            return MigrationError(
                f"{text}: a downgrade goes to a revision below the database's current one; "
                f"`loom db current {self.config_name}` shows where it is",
                code="unknown_revision",
            )
        return MigrationError(f"Alembic refused: {text}", code="migration_failed")


def _one(written: Any) -> Script | None:
    """The script ``command.revision`` wrote (it answers a list, or nothing, at times)."""
    if isinstance(written, list):
        return written[0] if written else None
    return written if isinstance(written, Script) else None


def _persistence(kernel: Kernel) -> SQLAlchemyPersistence:
    persistence = kernel.persistence
    if not isinstance(persistence, SQLAlchemyPersistence):
        raise MigrationError(
            f"migrations need the SQLAlchemy persistence; this kernel runs on "
            f"{type(persistence).__name__}",
            code="migration_failed",
        )
    return persistence


def _failed_revision(exc: BaseException) -> str | None:
    """The revision whose ``upgrade()``/``downgrade()`` raised (its module's ``revision``)."""
    found = None
    for frame, _ in traceback.walk_tb(exc.__traceback__):
        module = frame.f_globals
        if "revision" in module and "down_revision" in module and "upgrade" in module:
            found = str(module["revision"])
    return found


def _first_line(exc: BaseException) -> str:
    original: Any = getattr(exc, "orig", None) or exc
    text = str(original).strip().splitlines()
    return text[0] if text else type(original).__name__
