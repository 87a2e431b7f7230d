"""What an application's ``env.py`` runs: Alembic's environment, configured by Loom.

``loom db`` hands the environment an :class:`EnvState` (the connection, or the URL for offline
SQL, and the metadata of the application's models) in the Alembic config's ``attributes``; the
environment configures Alembic the same way for every command: batch mode (so column changes
work on SQLite), types and server defaults compared, Loom's comparators on, Loom's own tables
left to Loom's branch, and every pending revision applied in the transaction Loom opened.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from loom.migrations import _compare
from loom.migrations._errors import MigrationError
from loom.migrations._render import render_item


@dataclass(frozen=True, slots=True)
class Step:
    """A revision applied (or unapplied, or stamped) by a command.

    Attributes:
        revision: The revision id (the one reached by an upgrade, left by a downgrade).
        message: Its message.
        upgrade: Applied (``True``) or unapplied (``False``).
        stamp: Only recorded in the version table, no SQL run.
    """

    revision: str
    message: str
    upgrade: bool
    stamp: bool = False

    def line(self) -> str:
        """``upgraded to abc123: message`` (or ``downgraded from``, ``stamped``)."""
        verb = "stamped" if self.stamp else "applied" if self.upgrade else "reverted"
        return f"{verb} {self.revision}: {self.message}"


@dataclass
class EnvState:
    """What ``loom db`` hands an application's ``env.py``.

    Attributes:
        url: The database URL (offline SQL is written for its dialect).
        version_table: Where the applied revisions are recorded.
        connection: The connection to migrate, inside the transaction Loom opened (``None``
            for offline SQL).
        metadata: The models' metadata (for autogenerate and the comparison).
        loom_tables: Tables of Loom's own branch, left out of the application's revisions.
        directives: Alembic's ``process_revision_directives`` for the next revision.
        applied: Filled with the steps a command ran.
    """

    url: str
    version_table: str
    connection: Connection | None = None
    metadata: sa.MetaData | None = None
    loom_tables: Collection[str] = ()
    directives: Callable[..., None] | None = None
    applied: list[Step] = field(default_factory=list)

    def options(self, user: dict[str, Any] | None = None) -> dict[str, Any]:
        """The options of Alembic's ``context.configure`` (``user``'s merged in)."""
        _compare.register()
        options: dict[str, Any] = {
            "target_metadata": self.metadata,
            "version_table": self.version_table,
            "render_as_batch": True,
            "compare_type": True,
            "compare_server_default": True,
            "render_item": render_item,
            "include_object": self.include_object,
            "autogenerate_plugins": _compare.PLUGINS,
            "on_version_apply": self.on_version_apply,
            # SQLite's DDL is transactional too; Loom holds the transaction on both.
            "transactional_ddl": True,
        }
        if self.directives is not None:
            options["process_revision_directives"] = self.directives
        for key, value in (user or {}).items():
            if key == "include_object":
                options[key] = _both(self.include_object, value)
            else:
                options[key] = value
        return options

    def include_object(
        self, obj: Any, name: str | None, kind: str, reflected: bool, compare_to: Any
    ) -> bool:
        """Leave Loom's own tables (and what is on them) to Loom's branch."""
        table = obj if kind == "table" else getattr(obj, "table", None)
        table_name = name if kind == "table" else getattr(table, "name", None)
        return table_name not in self.loom_tables

    def on_version_apply(self, *, step: Any, **_: Any) -> None:
        """Record each step a command runs (Alembic calls it after each one)."""
        # A downgrade's "up" revision is the one it reverts.
        message = (getattr(step.up_revision, "doc", None) or "").strip()
        self.applied.append(Step(str(step.up_revision_id), message, step.is_upgrade, step.is_stamp))


def _both(first: Callable[..., bool], second: Callable[..., bool]) -> Callable[..., bool]:
    def include(*args: Any) -> bool:
        return first(*args) and second(*args)

    return include


def run_migrations(**options: Any) -> None:
    """Run Alembic's environment for ``loom db``; call it from the application's ``env.py``.

    Args:
        **options: Passed to Alembic's ``context.configure`` over Loom's own choices
            (``include_object`` is combined with Loom's, which keeps Loom's tables out).

    Raises:
        MigrationError: The environment was not started by ``loom db`` (plain ``alembic``
            has no Loom config to read).
    """
    from alembic import context

    state = context.config.attributes.get("loom")
    if not isinstance(state, EnvState):
        raise MigrationError(
            "this env.py reads the application's Loom config, which only `loom db` (or "
            "database.schema: migrate) hands it; run `loom db upgrade CONFIG` instead of "
            "`alembic upgrade`",
            code="migration_failed",
        )
    configured = state.options(options)
    if context.is_offline_mode():
        context.configure(
            url=state.url,
            literal_binds=True,
            dialect_opts={"paramstyle": "named"},
            **configured,
        )
    else:
        context.configure(connection=state.connection, **configured)
    with context.begin_transaction():
        context.run_migrations()
