"""Migrations build exactly the models' schema, change only what changed, and keep rows."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from loom.core.config import load_config
from loom.migrations import Migrations
from tests.conftest import Database
from tests.integration.migrations.conftest import Project, code_ops, snapshot

pytestmark = pytest.mark.filterwarnings("error")


async def _create_all(config: Path, database: Database) -> None:
    """What ``database.schema: create_all`` makes, for the project's models, in ``database``."""
    from loom.core.bootstrap import Kernel

    overrides = {"database.url": database.url, "database.connect_args": database.connect_args}
    async with Kernel(load_config(config, overrides=overrides)):
        pass


def test_a_fresh_database_upgraded_to_head_has_the_schema_create_all_makes(
    project: Project, second_database: Database
) -> None:
    output = project.ok("revision", "-m", "create tables", "--autogenerate")
    assert "table 'items' is in the models, not in the migrations" in output
    project.ok("upgrade")
    asyncio.run(_create_all(project.config, second_database))

    migrated = project.snapshot()
    created = asyncio.run(snapshot(second_database))

    # Loom's branch makes every Loom table; create_all only those this configuration uses
    # (the cache journal serves a Redis cache). Loom's tables are compared in test_boot.
    unused = set(migrated) - set(created)
    assert unused == {"loom_cache_invalidations"}
    assert {table: migrated[table] for table in created} == created
    # The comparison saw everything the issue lists, named by the convention.
    items = migrated["items"]
    assert ("fk_items_shelf_id_shelves", ("shelf_id",), "shelves", ("id",), "CASCADE") in items[
        "foreign_keys"
    ]
    assert ("fk_items_parent_id_items", ("parent_id",), "items", ("id",), "SET NULL") in items[
        "foreign_keys"
    ]
    assert {name for name, _ in items["checks"]} == {"ck_items_price", "ck_items_sane_quantity"}
    indexes = {ix[0]: ix for ix in items["indexes"]}
    assert indexes["ix_items_live_code"][2] is True
    assert "retired_at IS NULL" in str(indexes["ix_items_live_code"][3])
    assert indexes["ix_items_shelf_id_code"][1] == ("shelf_id", "code")
    assert migrated["shelves"]["unique"] == [("uq_shelves_code", ("code",))]
    assert migrated["shelves"]["primary_key"][1] == ("id",)
    assert {"loom_outbox", "loom_job_runs"} <= set(migrated)


def test_a_second_revision_holds_only_the_new_field_and_model_and_rows_survive(
    project: Project, db: Database
) -> None:
    project.ok("revision", "-m", "create tables", "--autogenerate")
    project.ok("upgrade")
    project.execute(
        "INSERT INTO shelves (id, code, label) VALUES (1, 'A1', 'first'), (2, 'B2', NULL)",
        "INSERT INTO items (id, shelf_id, code, color, kind, price, data, tags, ratio, flag) "
        "VALUES (1, 1, 'lamp', 'red', 'a', 12.5, '{}', '[]', 0.5, "
        f"{'true' if db.is_postgres else '1'})",
    )
    before = project.snapshot()

    project.edit_models(
        "    label: str | None = None\n",
        "    label: str | None = None\n"
        "    note: str | None = ColumnField(length=200, default=None)\n",
    )
    with (project.root / "src" / project.package / "models.py").open("a") as models:
        models.write(
            "\n\nclass Bin(BaseModel):\n"
            '    __tablename__ = "bins"\n'
            "    id: int = ColumnField(primary_key=True, autoincrement=True)\n"
            "    shelf_id: int = ColumnField(\n"
            "        foreign_key='shelves.id', on_delete=OnDelete.RESTRICT\n"
            "    )\n"
        )
    second, output = project.revise("add note and bins")

    changes = [line.strip() for line in output.splitlines() if line.startswith("  ")]
    assert changes == [
        "table 'bins' is in the models, not in the migrations",
        "column shelves.note (VARCHAR(200)) is in the models, not in the migrations",
    ]
    assert sorted(code_ops(second)) == [("add_column", "note"), ("create_table", "bins")]

    assert project.ok("upgrade", "+1").startswith("applied ")
    assert project.rows("SELECT id, code, label, note FROM shelves ORDER BY id") == [
        (1, "A1", "first", None),
        (2, "B2", None, None),
    ]
    project.ok("downgrade", "-1")
    assert project.snapshot() == before
    assert project.rows("SELECT id, code, label FROM shelves ORDER BY id") == [
        (1, "A1", "first"),
        (2, "B2", None),
    ]
    # Batch mode rebuilt the parent table on SQLite: its children were not cascaded away.
    assert project.rows("SELECT id, shelf_id, code FROM items") == [(1, 1, "lamp")]

    project.ok("upgrade")
    assert "bins" in project.snapshot()
    assert project.rows("SELECT count(*) FROM shelves") == [(2,)]
    assert project.rows("SELECT count(*) FROM items") == [(1,)]


def test_check_fails_on_drift_naming_it_and_passes_after_the_revision(project: Project) -> None:
    project.ok("revision", "-m", "create tables", "--autogenerate")
    assert "ok: the models match the migrations' head" in project.ok("check")

    project.edit_models(
        "    label: str | None = None\n", "    label: str | None = None\n    size: int = 0\n"
    )
    project.edit_models(
        "code: str = ColumnField(length=20, unique=True)",
        "code: str = ColumnField(length=40, unique=True)",
    )
    failed = project.loom("check")
    assert failed.exit_code == 1
    assert "column shelves.size (BIGINT) is in the models, not in the migrations" in failed.output
    assert "column shelves.code: type VARCHAR(40) in the models, VARCHAR(20) in the migrations" in (
        failed.output
    )
    assert "differ in 2 place(s)" in failed.output
    assert "loom db revision" in failed.output

    project.ok("revision", "-m", "size", "--autogenerate")
    assert "ok: the models match" in project.ok("check")


def test_check_needs_no_upgraded_database(project: Project, db: Database) -> None:
    project.ok("revision", "-m", "create tables", "--autogenerate")
    assert "ok" in project.ok("check")
    # The scratch database was thrown away; the application's database was never touched.
    assert project.snapshot() == {}


def test_a_changed_check_condition_and_partial_index_are_seen(project: Project) -> None:
    project.ok("revision", "-m", "create tables", "--autogenerate")
    project.edit_models('Check("quantity < 1000000"', 'Check("quantity < 5000"')
    project.edit_models('where="retired_at IS NULL"', 'where="retired_at IS NOT NULL"')

    failed = project.loom("check")
    assert failed.exit_code == 1
    assert (
        "table 'items': CHECK 'ck_items_sane_quantity' differs (the models have "
        "CHECK (quantity < 5000))" in failed.output
    )
    assert (
        "table 'items': index 'ix_items_live_code' differs (the models have it WHERE "
        "retired_at IS NOT NULL)" in failed.output
    )

    tighter, _ = project.revise("tighter")
    ops = code_ops(tighter)
    assert ("drop_constraint", "ck_items_sane_quantity") in ops
    assert ("create_check_constraint", "ck_items_sane_quantity") in ops
    assert ("drop_index", "ix_items_live_code") in ops
    assert ("create_index", "ix_items_live_code") in ops
    assert "ok" in project.ok("check")
    project.ok("upgrade")
    project.ok("downgrade", "-1")
    project.ok("upgrade")


def test_an_unchanged_model_compares_equal_through_the_api(project: Project) -> None:
    project.ok("revision", "-m", "create tables", "--autogenerate")
    project.forget()
    migrations = Migrations.from_file(project.config)
    result = asyncio.run(migrations.check())
    assert result.differences == []
    assert result.heads[-1] == "loom_0001"


def test_types_defaults_nullability_and_on_delete_changes_are_seen_and_applied(
    project: Project,
) -> None:
    project.ok("revision", "-m", "create tables", "--autogenerate")
    project.ok("upgrade")
    project.edit_models(
        '    GREEN = "green"\n', '    GREEN = "green"\n    ULTRAVIOLET = "ultraviolet"\n'
    )
    project.edit_models('ColumnField(server_default="0")', 'ColumnField(server_default="1")')
    project.edit_models(
        'foreign_key="shelves.id", on_delete=OnDelete.CASCADE',
        'foreign_key="shelves.id", on_delete=OnDelete.RESTRICT',
    )
    project.edit_models("    label: str | None = None\n", '    label: str = ""\n')

    failed = project.loom("check")
    assert failed.exit_code == 1
    text = failed.output
    assert "column items.color: type VARCHAR(11) in the models, VARCHAR(5) in the migrations" in (
        text
    )
    assert "column items.quantity: server default '1' in the models," in text
    assert "column shelves.label: NOT NULL in the models, NULL in the migrations" in text
    assert (
        "table 'items': foreign key 'fk_items_shelf_id_shelves' (shelf_id) -> shelves(id) "
        "ON DELETE RESTRICT is in the models, not in the migrations" in text
    )

    project.execute("INSERT INTO shelves (id, code, label) VALUES (1, 'A1', 'kept')")
    project.revise("tighten")
    project.ok("upgrade")
    assert "ok" in project.ok("check")
    assert project.rows("SELECT code, label FROM shelves") == [("A1", "kept")]
    project.ok("downgrade", "-1")
    project.ok("upgrade")
