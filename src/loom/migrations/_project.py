"""The migration folder of an application and Loom's own branch, as one Alembic script tree.

The application's revisions live in its folder (``migrations/versions``); Loom's own tables
(the outbox, the job runs) come in the branch labelled ``loom`` that ships in this package.
Alembic sees both as one tree with two bases; ``loom db`` speaks of the application's branch
unless a command names another, and keeps Loom's branch at its head.
"""

from __future__ import annotations

import argparse
import io
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic.config import Config
from alembic.script import Script, ScriptDirectory
from alembic.util import CommandError

from loom.migrations import _template
from loom.migrations._errors import MigrationError

LOOM_BRANCH = "loom"
LOOM_VERSIONS = Path(__file__).resolve().parent / "versions"
FILE_TEMPLATE = (
    "%%(year)d_%%(month).2d_%%(day).2d_%%(hour).2d%%(minute).2d%%(second).2d_%%(rev)s_%%(slug)s"
)
"""Revision files sort by creation time, then name the revision and what it does."""


@dataclass(frozen=True, slots=True)
class RevisionInfo:
    """One revision, as ``loom db`` shows it.

    Attributes:
        id: The revision id.
        down: The revisions it follows (none for a first revision, two for a merge).
        message: Its message.
        branch: ``"app"`` for the application's revisions, ``"loom"`` for Loom's own.
        is_head: No revision follows it.
        path: Its file.
    """

    id: str
    down: tuple[str, ...]
    message: str
    branch: str
    is_head: bool
    path: Path

    def line(self) -> str:
        """``<down> -> <id> (head), message [loom]``."""
        down = ", ".join(self.down) or "<base>"
        head = " (head)" if self.is_head else ""
        branch = " [loom]" if self.branch == LOOM_BRANCH else ""
        return f"{down} -> {self.id}{head}, {self.message}{branch}"


class MigrationProject:
    """The application's migration folder together with Loom's branch.

    Args:
        folder: The migration folder (``env.py``, ``script.py.mako``, ``versions/``).
        version_table: Where Alembic records the applied revisions.
        config_name: The config file the commands were given, to write in messages.
    """

    def __init__(self, folder: Path, version_table: str, config_name: str) -> None:
        self.folder = folder
        self.version_table = version_table
        self.config_name = config_name
        self._script: ScriptDirectory | None = None

    @property
    def versions(self) -> Path:
        """The folder of the application's revisions."""
        return self.folder / "versions"

    def exists(self) -> bool:
        """Whether the folder has been created (it holds ``env.py``)."""
        return (self.folder / "env.py").is_file()

    def require(self) -> None:
        """Fail unless the folder exists.

        Raises:
            MigrationError: ``migrations_missing``, saying how to create it.
        """
        if not self.exists():
            where = "is empty" if self.folder.is_dir() else "does not exist"
            raise MigrationError(
                f"no migration folder: {self.folder} {where} (it needs env.py and versions/); "
                f"create it with `loom db init {self.config_name}`, or set migrations.path to "
                "the folder that holds them",
                code="migrations_missing",
            )

    def create(self) -> list[Path]:
        """Write ``env.py``, ``script.py.mako``, ``README`` and ``versions/``.

        Raises:
            MigrationError: The folder exists already and is not empty.
        """
        if self.folder.is_dir() and any(self.folder.iterdir()):
            raise MigrationError(
                f"the migration folder {self.folder} exists already and is not empty; "
                "`loom db init` creates a new one only (remove it, or set migrations.path to "
                "another folder)",
                code="migrations_exist",
            )
        self.versions.mkdir(parents=True, exist_ok=True)
        written = []
        for name, text in (
            ("env.py", _template.ENV),
            ("script.py.mako", _template.SCRIPT),
            ("README", _template.README),
        ):
            path = self.folder / name
            path.write_text(text)
            written.append(path)
        (self.versions / ".keep").write_text("")
        return [*written, self.versions]

    def config(self, state: Any, *, output: io.StringIO | None = None) -> Config:
        """An Alembic config for this tree, handing ``state`` to the environment."""
        config = Config(
            output_buffer=output,
            stdout=io.StringIO(),
            cmd_opts=argparse.Namespace(quiet=True),
            attributes={"loom": state},
        )
        config.set_main_option("script_location", str(self.folder))
        config.set_main_option("path_separator", "os")
        config.set_main_option("version_locations", f"{self.versions}{os.pathsep}{LOOM_VERSIONS}")
        config.set_main_option("file_template", FILE_TEMPLATE)
        config.set_main_option("timezone", "UTC")
        return config

    def script(self) -> ScriptDirectory:
        """The script tree (read once).

        Raises:
            MigrationError: The folder is missing, or a revision file cannot be read.
        """
        if self._script is None:
            self.require()
            try:
                self._script = ScriptDirectory.from_config(self.config(None))
                # Reading the revision map loads every file: a broken one fails here, named.
                self._script.revision_map.heads  # noqa: B018
            except CommandError as exc:
                raise MigrationError(
                    f"the migrations in {self.folder} cannot be read: {exc}",
                    code="migration_failed",
                ) from exc
        return self._script

    def forget(self) -> None:
        """Read the tree again next time (after a revision was written)."""
        self._script = None

    def is_loom(self, script: Script) -> bool:
        """Whether ``script`` is one of Loom's own revisions."""
        return Path(script.path).resolve().parent == LOOM_VERSIONS

    def info(self, script: Script) -> RevisionInfo:
        """What ``loom db`` shows of ``script``."""
        return RevisionInfo(
            id=script.revision,
            down=tuple(_tuple(script.down_revision)),
            message=(script.doc or "").strip(),
            branch=LOOM_BRANCH if self.is_loom(script) else "app",
            is_head=script.is_head,
            path=Path(script.path),
        )

    def revisions(self) -> Iterator[RevisionInfo]:
        """Every revision, newest first (the application's and Loom's)."""
        for script in self.script().walk_revisions():
            yield self.info(script)

    def heads(self, branch: str = "app") -> list[RevisionInfo]:
        """The heads of the application's branch (or of Loom's)."""
        script = self.script()
        found = [self.info(script.get_revision(head)) for head in script.get_heads()]
        return [revision for revision in found if revision.branch == branch]

    def bases(self, branch: str = "app") -> list[RevisionInfo]:
        """The first revisions of the application's branch (or of Loom's)."""
        script = self.script()
        found = [self.info(script.get_revision(base)) for base in script.get_bases()]
        return [revision for revision in found if revision.branch == branch]

    def app_head(self) -> str | None:
        """The application's single head (``None`` before its first revision).

        Raises:
            MigrationError: ``multiple_heads``, naming them and the fix.
        """
        heads = self.heads()
        if len(heads) > 1:
            named = "; ".join(f"{head.id} ({head.message})" for head in heads)
            raise MigrationError(
                f"the migrations in {self.versions} have {len(heads)} heads: {named}; two "
                "revisions were made from the same parent (two branches merged): join them "
                f"with `loom db merge {self.config_name} -m 'merge'`, then go on",
                code="multiple_heads",
            )
        return heads[0].id if heads else None

    def known(self, revision: str) -> bool:
        """Whether ``revision`` (an id as stored in the version table) is in the tree."""
        try:
            return self.script().get_revision(revision) is not None
        except CommandError:
            return False

    def get(self, revision: str) -> Script:
        """The script of ``revision`` (an id, a unique prefix, or a branch label).

        Raises:
            MigrationError: ``unknown_revision``.
        """
        try:
            script = self.script().get_revision(revision)
        except CommandError as exc:
            raise self.unknown(revision, exc) from exc
        if script is None:
            raise self.unknown(revision)
        return script

    def unknown(self, revision: str, exc: BaseException | None = None) -> MigrationError:
        """The error for a revision the tree does not have."""
        detail = f" ({_first_line(exc)})" if exc is not None and "ambiguous" in str(exc) else ""
        heads = ", ".join(head.id for head in self.heads()) or "none yet"
        return MigrationError(
            f"unknown revision {revision!r}{detail}: the migrations in {self.versions} have no "
            f"such revision (the application's head: {heads}); `loom db history "
            f"{self.config_name}` lists them; relative steps are written -1, +2",
            code="unknown_revision",
        )

    def app_part(self, revisions: Sequence[str]) -> list[str]:
        """The application's revisions among ``revisions`` (a database's current heads)."""
        return [rev for rev in revisions if not self.is_loom(self.get(rev))]


def _tuple(value: str | Sequence[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(value)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
