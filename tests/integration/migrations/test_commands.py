"""``loom db``'s commands, and a clear error for each way they can be misused."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest

from tests.conftest import Database
from tests.integration.migrations.conftest import Project

pytestmark = pytest.mark.filterwarnings("error")

SECOND = '''"""{message}"""

import sqlalchemy as sa
from alembic import op

revision = "{revision}"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("shelves", sa.Column("{column}", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("shelves") as batch_op:
        batch_op.drop_column("{column}")
'''


def _first(project: Project) -> str:
    path, _ = project.revise("create tables")
    found = re.search(r'^revision: str = "?\'?(\w+)', path.read_text(), re.MULTILINE)
    assert found is not None
    return found[1]


def _hand_written(project: Project, revision: str, down: str, column: str) -> Path:
    path = project.versions / f"{revision}_{column}.py"
    path.write_text(
        SECOND.format(message=f"add {column}", revision=revision, down=down, column=column)
    )
    return path


def test_a_command_without_a_migration_folder_says_how_to_make_one(
    project: Project,
) -> None:
    shutil.rmtree(project.root / "config" / "migrations")
    for command in (["upgrade"], ["revision", "-m", "x"], ["check"], ["history"]):
        result = project.loom(*command)
        assert result.exit_code == 1, command
        assert "no migration folder" in result.output
        assert f"loom db init {project.config}" in " ".join(result.output.split())


def test_init_refuses_a_folder_that_exists(project: Project) -> None:
    result = project.loom("init")
    assert result.exit_code == 1
    assert "exists already and is not empty" in result.output


def test_several_heads_are_named_and_merge_joins_them(project: Project) -> None:
    first = _first(project)
    _hand_written(project, "aaa111", first, "width")
    _hand_written(project, "bbb222", first, "depth")

    for command in (["upgrade"], ["revision", "-m", "more", "--autogenerate"], ["check"]):
        result = project.loom(*command)
        assert result.exit_code == 1, command
        text = " ".join(result.output.split())
        assert "have 2 heads: aaa111 (add width); bbb222 (add depth)" in text
        assert f"loom db merge {project.config}" in text

    merged = project.ok("merge", "-m", "join width and depth")
    assert "merging aaa111, bbb222" in merged
    merge = re.findall(r"revision (\w+)", merged)[0]
    project.ok("upgrade")
    assert project.ok("heads").splitlines() == [
        f"aaa111, bbb222 -> {merge} (head), join width and depth",
        "<base> -> loom_0001 (head), Loom's outbox, job runs and cache journal [loom]",
    ]
    assert project.loom("merge").exit_code == 1
    assert "nothing to merge" in project.loom("merge").output


def test_an_unknown_revision_is_named(project: Project) -> None:
    _first(project)
    for command in (["upgrade", "nope"], ["downgrade", "nope"], ["stamp", "nope"], ["sql", "nope"]):
        result = project.loom(*command)
        assert result.exit_code == 1, command
        assert "unknown revision 'nope'" in result.output
        assert "loom db history" in result.output


def test_relative_steps_go_the_right_way_only(project: Project) -> None:
    first = _first(project)
    _hand_written(project, "ccc333", first, "width")
    project.ok("upgrade", first)
    assert project.ok("current").splitlines()[-2:] == [
        "behind: 1 revision(s) to apply: ccc333",
        f"  run: loom db upgrade {project.config}",
    ]
    assert "applied ccc333: add width" in project.ok("upgrade", "+1")
    assert project.loom("upgrade", "+1").exit_code == 1
    assert "no revision 1 steps up" in project.loom("upgrade", "+1").output
    assert "write -1" in project.loom("downgrade", "+1").output
    assert "reverted ccc333: add width" in project.ok("downgrade", "-1")
    assert f"reverted {first}: create tables" in project.ok("downgrade", "-1")
    # Below the application's first revision, Loom's branch stays.
    assert project.ok("current").splitlines()[0] == (
        "loom: loom_0001 (head), Loom's outbox, job runs and cache journal"
    )
    result = project.loom("downgrade", "-1")
    assert result.exit_code == 1
    assert "only 0 revision(s) of the application are applied" in result.output
    assert "reverted loom_0001" in project.ok("downgrade", "base")
    assert project.snapshot() == {}


def test_autogenerate_that_finds_nothing_writes_nothing_unless_asked(project: Project) -> None:
    _first(project)
    before = project.revision_files()
    output = project.ok("revision", "-m", "nothing", "--autogenerate")
    assert "no changes: the models match the migrations' head" in output
    assert "--empty" in output
    assert project.revision_files() == before

    path, output = project.revise("on purpose", "--empty")
    assert path.exists()
    upgrade = path.read_text().split("def upgrade() -> None:")[1].split("def downgrade")[0]
    assert [line.strip() for line in upgrade.splitlines() if "pass" in line] == ["pass"]
    assert "op." not in upgrade


def test_a_plain_revision_is_an_empty_file_to_fill_in(project: Project) -> None:
    output = project.ok("revision", "-m", "data fix")
    path = Path(re.findall(r"^wrote (\S+)", output, re.MULTILINE)[0])
    assert path.parent == project.versions
    assert path.name.endswith("_data_fix.py")
    assert '"""data fix' in path.read_text()


def test_the_database_newer_than_the_code_is_refused_naming_both(project: Project) -> None:
    first = _first(project)
    newer = _hand_written(project, "ddd444", first, "width")
    project.ok("upgrade")
    newer.unlink()  # the code of before that revision

    result = project.loom("upgrade")
    assert result.exit_code == 1
    text = " ".join(result.output.split())
    assert "is at revision ddd444, which the migrations in" in text
    assert f"(their head: {first}, loom_0001)" in text
    assert "migrated by newer code" in text
    current = project.loom("current")
    assert current.exit_code == 1
    assert "ddd444 (unknown to these migrations: the database is newer)" in current.output


def test_sql_writes_the_upgrade_for_a_dba_without_connecting(
    project: Project, db: Database
) -> None:
    first = _first(project)
    _hand_written(project, "eee555", first, "width")
    text = project.ok("sql")
    assert "CREATE TABLE loom_outbox" in text
    assert "CREATE TABLE shelves" in text
    assert "ALTER TABLE shelves ADD COLUMN width INTEGER" in text
    assert text.rstrip().endswith("COMMIT;")
    assert project.snapshot() == {}

    only_new = project.ok("sql", "head", "--from", first)
    assert "CREATE TABLE shelves" not in only_new
    assert "ALTER TABLE shelves ADD COLUMN width" in only_new
    assert "sql" in project.loom("sql", "-1").output


def test_stamp_adopts_a_database_made_by_create_all(project: Project) -> None:
    first = _first(project)
    project.write_config(schema="create_all")
    import asyncio

    from loom.core.bootstrap import create_kernel

    async def boot() -> None:
        async with create_kernel(project.config):
            pass

    project.forget()
    asyncio.run(boot())
    assert "stamped" in project.ok("stamp", "head")
    assert project.ok("upgrade") == "nothing to apply: the database is at the migrations' head\n"
    assert f"application: {first} (head), create tables" in project.ok("current")


def test_history_lists_both_branches_newest_first(project: Project) -> None:
    first = _first(project)
    _hand_written(project, "fff666", first, "width")
    lines = project.ok("history").splitlines()
    assert lines[0] == f"{first} -> fff666 (head), add width"
    assert f"<base> -> {first}, create tables" in lines
    assert "<base> -> loom_0001 (head), Loom's outbox, job runs and cache journal [loom]" in lines


def test_an_in_memory_database_has_nothing_to_migrate(project: Project) -> None:
    _first(project)
    project.write_config(url="sqlite+aiosqlite:///:memory:", connect_args={})
    result = project.loom("upgrade")
    assert result.exit_code == 1
    assert "in-memory SQLite database, which lives inside one process only" in result.output


def test_a_database_that_does_not_answer_is_one_line(project: Project) -> None:
    _first(project)
    project.write_config(url="postgresql+asyncpg://postgres@127.0.0.1:1/test", connect_args={})
    result = project.loom("upgrade")
    assert result.exit_code == 1
    assert "refused the connection" in result.output
    assert "Traceback" not in result.output


def test_loom_db_without_alembic_names_the_extra(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    loaded = [n for n in sys.modules if n.startswith(("alembic", "loom.migrations"))]
    for name in loaded:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "alembic", None)
    result = project.loom("upgrade")
    assert result.exit_code == 1
    assert "install the migrations extra (pip install 'loom-framework[migrations]')" in (
        result.output
    )


BROKEN = '''"""a broken revision"""

from alembic import op

revision = "broken01"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("UPDATE no_such_table SET x = 1")


def downgrade() -> None:
    pass
'''


def test_a_failing_revision_is_named_and_nothing_of_the_upgrade_is_kept(
    project: Project,
) -> None:
    first = _first(project)
    (project.versions / "broken01.py").write_text(BROKEN.format(down=first))
    result = project.loom("upgrade")
    assert result.exit_code == 1
    text = " ".join(result.output.split())
    assert "the revision broken01 failed on" in text
    assert "no_such_table" in text
    assert "was rolled back" in text
    assert "Traceback" not in result.output
    # The tables of the revisions before it, in the same run, were not kept either.
    assert set(project.snapshot()) <= {"alembic_version"}
    assert project.ok("current").startswith("the database has no revision applied")


def test_a_migration_lock_held_too_long_is_reported(project: Project, db: Database) -> None:
    import asyncio

    import sqlalchemy as sa

    from loom.migrations._database import lock_key
    from tests.integration.migrations.conftest import engine_for

    _first(project)
    project.write_config()
    document = project.config.read_text()
    project.config.write_text(document[:-1] + ', "migrations": {"lock_timeout": 0.5}}')

    async def scenario() -> str:
        holder = engine_for(db)
        async with holder.connect() as conn:
            if db.is_postgres:
                await conn.execute(
                    sa.text("SELECT pg_advisory_lock(:k)"), {"k": lock_key(project.package)}
                )
            else:
                await conn.exec_driver_sql("BEGIN IMMEDIATE")
            result = await asyncio.to_thread(project.loom, "upgrade")
            await conn.rollback()
        await holder.dispose()
        assert result.exit_code == 1
        return result.output

    output = " ".join(asyncio.run(scenario()).split())
    assert f"another process of {project.package!r} has been migrating" in output
    assert "for more than 0.5 s (it holds the migration lock)" in output
    assert "raise migrations.lock_timeout" in output
