"""``database.schema: migrate``: upgrade at boot, once among many processes, or refuse to start."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from loom.core.bootstrap import Kernel, create_kernel
from loom.core.config import load_config
from loom.core.errors import BootError
from loom.core.extension import ExtensionCatalog
from loom.core.repository.sqlalchemy import cache_journal_table, new_base, outbox_tables
from loom.migrations import (
    LOOM_TABLES,
    MigrationError,
    Migrations,
    MigrationsExtension,
    Step,
    loom_metadata,
)
from tests.conftest import Database
from tests.integration.migrations.conftest import Project, snapshot

ROOT = Path(__file__).resolve().parents[3]
PROCESS = Path(__file__).resolve().parent / "_boot_process.py"

SLOW = '''"""a slow data migration"""

from alembic import op

revision = "slow0001"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Long enough that the other processes reach the lock while this one holds it.
    op.execute("SELECT pg_sleep(2)")


def downgrade() -> None:
    pass
'''


async def _boot(config: Path) -> Kernel:
    kernel = create_kernel(config)
    await kernel.start()
    return kernel


def _applied(kernel: Kernel) -> list[Step]:
    extension = kernel.extensions.get("migrations")
    assert isinstance(extension, MigrationsExtension)
    return extension.applied


def _head(project: Project) -> str:
    path, _ = project.revise("create tables")
    return path.name.split("_")[4]


def test_a_fresh_database_is_upgraded_at_boot_and_the_next_boot_changes_nothing(
    project: Project, caplog: pytest.LogCaptureFixture
) -> None:
    head = _head(project)
    project.write_config(schema="migrate")
    project.forget()

    async def scenario() -> None:
        with caplog.at_level(logging.INFO, logger="loom.migrations"):
            kernel = await _boot(project.config)
        try:
            applied = _applied(kernel)
            assert sorted(step.revision for step in applied) == sorted(["loom_0001", head])
            shelf = kernel.components.models[0]
            async with kernel.transaction():
                created = await kernel.for_model(shelf).create({"code": "A1"})
            assert created.id == 1
        finally:
            await kernel.stop()
        again = await _boot(project.config)
        try:
            assert _applied(again) == []
        finally:
            await again.stop()

    asyncio.run(scenario())
    assert "database.schema is 'migrate': applied 2 revision(s)" in caplog.text
    versions = project.rows("SELECT version_num FROM alembic_version ORDER BY version_num")
    assert sorted(versions) == sorted([(head,), ("loom_0001",)])


def test_a_database_newer_than_the_code_refuses_to_start(project: Project) -> None:
    head = _head(project)
    project.ok("upgrade")
    project.execute(
        f"UPDATE alembic_version SET version_num = 'fromthefuture' WHERE version_num = '{head}'"
    )
    project.write_config(schema="migrate")
    project.forget()
    with pytest.raises(MigrationError) as caught:
        asyncio.run(_boot(project.config))
    assert caught.value.code == "database_ahead"
    assert isinstance(caught.value, BootError)
    message = str(caught.value)
    assert "is at revision fromthefuture" in message
    assert f"their head: {head}, loom_0001" in message
    assert "does not start on a schema it does not know" in message


def test_several_heads_and_a_missing_folder_refuse_to_start(project: Project) -> None:
    head = _head(project)
    for name in ("aaa", "bbb"):
        (project.versions / f"{name}.py").write_text(
            f'"""{name}"""\nrevision = "{name}"\ndown_revision = "{head}"\n'
            "branch_labels = None\ndepends_on = None\n\n\n"
            "def upgrade() -> None:\n    pass\n\n\ndef downgrade() -> None:\n    pass\n"
        )
    project.write_config(schema="migrate")
    project.forget()
    with pytest.raises(MigrationError, match=r"have 2 heads: aaa .*loom db merge"):
        asyncio.run(_boot(project.config))

    project.write_config(schema="migrate")
    (project.root / "config" / "migrations" / "env.py").unlink()
    project.forget()
    with pytest.raises(MigrationError, match=r"no migration folder.*loom db init"):
        asyncio.run(_boot(project.config))


def test_migrate_without_alembic_names_the_extra(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.write_config(schema="migrate")
    loaded = [n for n in sys.modules if n.startswith(("alembic", "loom.migrations"))]
    for name in loaded:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "alembic", None)
    catalog = ExtensionCatalog.installed()
    assert [m.extra for m in catalog.missing if m.name == "migrations"] == ["migrations"]
    project.forget()

    async def boot() -> None:
        config = load_config(project.config, extensions=catalog)
        async with Kernel(config, extensions=catalog):
            pass

    with pytest.raises(BootError) as caught:
        asyncio.run(boot())
    assert str(caught.value) == (
        "database.schema is 'migrate', which needs the 'migrations' extension, but alembic is "
        "not installed; install the migrations extra: pip install 'loom-framework[migrations]'"
    )


@pytest.mark.parametrize("processes", [4])
def test_processes_booting_at_once_migrate_once_and_all_serve(
    project: Project, db: Database, tmp_path: Path, processes: int
) -> None:
    first = _head(project)
    expected = ["loom_0001", first]
    if db.is_postgres:
        (project.versions / "slow0001.py").write_text(SLOW.format(down=first))
        expected.append("slow0001")
    project.write_config(schema="migrate")
    ready = tmp_path / "ready"
    ready.mkdir()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")])}
    started = [
        subprocess.Popen(
            [sys.executable, str(PROCESS), str(project.config), str(i), str(ready), str(processes)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for i in range(processes)
    ]
    reports = []
    for process in started:
        out, err = process.communicate(timeout=180)
        assert process.returncode == 0, err
        reports.append(json.loads(out.strip().splitlines()[-1]))

    migrators = [r for r in reports if r["applied"]]
    assert len(migrators) == 1, reports
    assert sorted(migrators[0]["applied"]) == sorted(expected)
    assert all(r["rows"] >= 1 for r in reports)
    assert project.rows("SELECT count(*) FROM shelves") == [(processes,)]
    versions = project.rows("SELECT version_num FROM alembic_version")
    assert sorted(versions) == sorted([(expected[-1],), ("loom_0001",)])  # a row per branch


def test_loom_check_warns_when_the_database_is_behind(project: Project) -> None:
    from typer.testing import CliRunner

    from loom.cli import app

    head = _head(project)
    (project.versions / "later.py").write_text(
        f'"""later"""\nrevision = "later"\ndown_revision = "{head}"\n'
        "branch_labels = None\ndepends_on = None\n\n\n"
        "def upgrade() -> None:\n    pass\n\n\ndef downgrade() -> None:\n    pass\n"
    )
    project.ok("upgrade", head)
    project.forget()
    result = CliRunner().invoke(app, ["check", str(project.config)])
    assert result.exit_code == 0, result.output
    assert (
        "warning: " + str(project.config) + ": migrations: the database is behind: 1 "
        "revision(s) to apply (later); run `loom db upgrade " + str(project.config) + "`"
    ) in result.output

    project.ok("upgrade")
    project.forget()
    result = CliRunner().invoke(app, ["check", str(project.config)])
    assert result.exit_code == 0
    assert "migrations: the database is at the head (later, loom_0001)" in result.output

    project.execute("UPDATE alembic_version SET version_num = 'newer' WHERE version_num = 'later'")
    project.forget()
    result = CliRunner().invoke(app, ["check", str(project.config)])
    assert result.exit_code == 1
    assert "the database is at newer, which the migrations do not have" in result.output


async def test_loom_branch_builds_what_create_all_makes_for_loom_tables(
    db: Database, second_database: Database, tmp_path: Path
) -> None:
    """Loom's migration must match the outbox tables of this version of the code."""
    overrides = {
        "database.url": db.url,
        "database.connect_args": db.connect_args,
        "migrations.path": str(tmp_path / "migrations"),
    }
    migrations = Migrations(load_config(overrides=overrides))
    migrations.init()
    steps = await migrations.upgrade()  # an application without revisions: Loom's branch only
    assert [step.revision for step in steps] == ["loom_0001"]

    metadata = new_base().metadata
    outbox_tables(metadata)  # what the jobs extension adds to every application
    cache_journal_table(metadata)  # what a cache with counters on Redis adds
    target = create_async_engine(second_database.url, connect_args=second_database.connect_args)
    async with target.begin() as conn:
        await conn.run_sync(metadata.create_all)
    await target.dispose()

    assert await snapshot(db) == await snapshot(second_database)
    assert set(metadata.tables) == LOOM_TABLES == set(loom_metadata().tables)


@pytest.mark.integration
async def test_every_table_the_kernel_adds_is_in_loom_branch(
    tmp_path: Path, redis_url: str
) -> None:
    """A kernel with every feature that brings a table, and no model: only Loom's tables."""
    from loom.core.bootstrap import Components
    from tests.integration.kernel.conftest import cache_overrides

    overrides = {
        "database.url": f"sqlite+aiosqlite:///{tmp_path / 'k.db'}",
        "security.cursor_secret": "tables",
        **cache_overrides("redis", redis_url, namespace=f"loom-mig-{tmp_path.name}"),
    }
    async with Kernel(load_config(overrides=overrides), Components()) as kernel:
        tables = set(kernel.persistence.base.metadata.tables)  # type: ignore[attr-defined]
    assert tables == LOOM_TABLES


def test_migrate_on_an_in_memory_database_uses_the_kernel_connection(project: Project) -> None:
    _head(project)
    project.write_config(schema="migrate", url="sqlite+aiosqlite:///:memory:", connect_args={})
    project.forget()

    async def scenario() -> None:
        async with create_kernel(project.config) as kernel:
            assert len(_applied(kernel)) == 2
            shelf = kernel.components.models[0]
            async with kernel.transaction():
                await kernel.for_model(shelf).create({"code": "M1"})
            assert await kernel.for_model(shelf).count() == 1

    asyncio.run(scenario())
