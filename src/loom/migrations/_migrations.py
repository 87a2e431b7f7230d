"""``Migrations``: the commands of ``loom db``, for one application.

Commands that change the database run in one transaction that holds the migration lock (see
``_database``). Commands that compare (``check``, ``revision --autogenerate``) upgrade a
scratch database to the migrations' head and compare it with the models, so they never need
the application's database to be upgraded, and never touch it.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from loom.core.config import LoomConfig, load_config
from loom.core.repository.sqlalchemy._boot import where
from loom.migrations._describe import describe
from loom.migrations._env import EnvState, Step
from loom.migrations._errors import MigrationError
from loom.migrations._loom_schema import LOOM_TABLES
from loom.migrations._project import LOOM_BRANCH, MigrationProject, RevisionInfo
from loom.migrations._results import CheckResult, RevisionResult, Status
from loom.migrations._runner import (
    Runner,
    alembic,
    current_heads,
    persistence,
    refuse_unknown,
    written_script,
)
from loom.migrations._settings import MigrationsSettings
from loom.migrations._targets import HEADS, downgrade_target, upgrade_targets

if TYPE_CHECKING:
    from loom.core.bootstrap import Components, Kernel

logger = logging.getLogger("loom.migrations")


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
        self._runner = Runner(config, settings, kernel)

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
        config = project.config(self._runner.state())
        script = alembic(project, command.merge, config, heads, message=message)
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
        config = project.config(self._runner.state(), output=output)
        end = "heads" if target is None or target in HEADS else project.get(target).revision
        span = f"{project.get(start).revision}:{end}" if start is not None else end
        alembic(project, command.upgrade, config, span, sql=True)
        return output.getvalue()

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
            config = project.config(self._runner.state())
            written = alembic(project, command.revision, config, message, **options)
            project.forget()
            script = written_script(written)
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
            alembic(project, command.upgrade, config, "heads")
            return alembic(project, command.revision, config, message, autogenerate=True, **options)

        metadata = await self.metadata()
        written, _ = await self._runner.scratch(work, metadata, LOOM_TABLES, directives)
        project.forget()
        script = written_script(written)
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
            alembic(project, command.upgrade, project.config(state), "heads")
            context = MigrationContext.configure(connection, opts=state.options())
            assert state.metadata is not None
            found.extend(describe(compare_metadata(context, state.metadata)))

        metadata = await self.metadata()
        _, scratch = await self._runner.scratch(work, metadata, LOOM_TABLES)
        heads = [head.id for head in self.heads()]
        return CheckResult(found, heads, scratch)

    async def metadata(self) -> sa.MetaData:
        """The metadata of the application's models and of Loom's tables, as the kernel
        compiles them (a kernel is booted without touching the database when none is given)."""
        kernel = self._kernel
        if kernel is not None:
            return persistence(kernel).base.metadata  # type: ignore[no-any-return]
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
            return persistence(booted).base.metadata  # type: ignore[no-any-return]

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
            current = current_heads(connection, self.settings.version_table)
            refuse_unknown(project, current, self._url)
            config = project.config(state)
            for alembic_target in upgrade_targets(project, target, current):
                alembic(project, command.upgrade, config, alembic_target)
            return state.applied

        return await self._runner.online(work, lock=True)

    async def downgrade(self, target: str) -> list[Step]:
        """Revert revisions down to ``target``: an id, ``-N`` (the application's branch), or
        ``base`` (everything, Loom's tables too).

        Raises:
            MigrationError: An unknown revision, or a revision that fails (nothing is kept).
        """
        project = self.project

        def work(connection: Connection, state: EnvState) -> list[Step]:
            current = current_heads(connection, self.settings.version_table)
            refuse_unknown(project, current, self._url)
            alembic_target = downgrade_target(project, target, current)
            alembic(project, command.downgrade, project.config(state), alembic_target)
            return state.applied

        return await self._runner.online(work, lock=True)

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
            alembic(project, command.stamp, project.config(state), resolved)
            return state.applied

        return await self._runner.online(work, lock=True)

    async def status(self) -> Status:
        """Where the database is: its revisions, the code's heads, what is pending."""
        project = self.project

        def work(connection: Connection, _state: EnvState) -> Status:
            current = current_heads(connection, self.settings.version_table)
            unknown = tuple(rev for rev in current if not project.known(rev))
            applied: set[str] = set()
            script = project.script()
            for rev in current:
                if rev not in unknown:
                    applied.update(s.revision for s in script.iterate_revisions(rev, "base"))
            pending = [r for r in project.revisions() if r.id not in applied]
            return Status(tuple(current), unknown, tuple(self.heads()), tuple(reversed(pending)))

        return await self._runner.online(work, lock=False)

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
