"""Loom's autogenerate comparators: what Alembic's own comparison does not look at.

Alembic sees a CHECK constraint appear or disappear (by name, with its opt-in
``alembic.ext.checkconstraint_byname`` plugin, which Loom turns on) but not its condition
change, and it compares an index's columns but not the ``WHERE`` of a partial index. This
plugin compares both and answers a change with drop + create.

Conditions are compared as the database itself prints them: on PostgreSQL the model's
condition is added to an empty copy of the table inside a savepoint that is rolled back, and
``pg_get_constraintdef`` / ``pg_get_expr`` print both sides; SQLite keeps the text as written,
so both sides are compared with spaces, quotes and parentheses left out.
"""

from __future__ import annotations

import contextlib
import logging
import re
import sys
from typing import Any

import sqlalchemy as sa
from alembic.autogenerate.api import AutogenContext
from alembic.operations import ops
from alembic.runtime.plugins import Plugin
from alembic.util import DispatchPriority, PriorityDispatchResult
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import conv

logger = logging.getLogger("loom.migrations")

PLUGIN = "loom.autogenerate"
PLUGINS = ["alembic.autogenerate.*", "alembic.ext.checkconstraint_byname", PLUGIN]
"""The comparators Loom runs: Alembic's defaults, its CHECK-by-name plugin, and this one."""

_PROBE = "loom_probe"
_PARTIAL = ("postgresql", "sqlite")  # the dialects whose indexes may have a WHERE


def compare_table(
    context: AutogenContext,
    modify: ops.ModifyTableOps,
    schema: str | None,
    table_name: str,
    conn_table: sa.Table | None,
    metadata_table: sa.Table | None,
) -> PriorityDispatchResult:
    """Compare the CHECK conditions and partial-index conditions of one table."""
    connection = context.connection
    if conn_table is None or metadata_table is None or connection is None:
        return PriorityDispatchResult.CONTINUE
    inspector = context.inspector
    _compare_checks(connection, inspector, modify, schema, conn_table, metadata_table)
    _compare_partial_indexes(connection, inspector, modify, schema, conn_table, metadata_table)
    return PriorityDispatchResult.CONTINUE


def _compare_checks(
    connection: Connection,
    inspector: Any,
    modify: ops.ModifyTableOps,
    schema: str | None,
    conn_table: sa.Table,
    metadata_table: sa.Table,
) -> None:
    declared = {
        str(constraint.name): constraint
        for constraint in metadata_table.constraints
        if isinstance(constraint, sa.CheckConstraint) and isinstance(constraint.name, str)
    }
    reflected = {
        str(found["name"]): str(found["sqltext"])
        for found in inspector.get_check_constraints(conn_table.name, schema=schema)
        if found.get("name")
    }
    for name in sorted(declared.keys() & reflected.keys()):
        model = _sql(declared[name].sqltext, connection)
        if _same_check(connection, schema, conn_table.name, name, model, reflected[name]):
            continue
        logger.info("detected a changed CHECK condition %r on table %r", name, conn_table.name)
        # conv(): the reflected name is final; the naming convention must not apply twice.
        old = sa.CheckConstraint(sa.text(reflected[name]), name=conv(name))
        conn_table.append_constraint(old)
        modify.ops.append(ops.DropConstraintOp.from_constraint(old))
        modify.ops.append(ops.AddConstraintOp.from_constraint(declared[name]))


def _compare_partial_indexes(
    connection: Connection,
    inspector: Any,
    modify: ops.ModifyTableOps,
    schema: str | None,
    conn_table: sa.Table,
    metadata_table: sa.Table,
) -> None:
    dialect = connection.dialect.name
    reflected = {
        str(found["name"]): found
        for found in inspector.get_indexes(conn_table.name, schema=schema)
        if found.get("name")
    }
    for index in sorted(metadata_table.indexes, key=lambda i: str(i.name)):
        found = reflected.get(str(index.name))
        if found is None:
            continue  # a new index: Alembic's own comparison adds it
        model_where = index.dialect_options[dialect].get("where") if dialect in _PARTIAL else None
        model = _sql(model_where, connection) if model_where is not None else None
        options = found.get("dialect_options") or {}
        database = options.get(f"{dialect}_where")
        database = str(database) if database is not None else None
        if model is None and database is None:
            continue
        if (
            model is not None
            and database is not None
            and _same_where(connection, schema, conn_table.name, index, model, database)
        ):
            continue
        logger.info("detected a changed WHERE of index %r on table %r", index.name, index.table)
        partial: dict[str, Any] = {}
        if database is not None:
            # For both dialects, as models declare it: a revision runs on either.
            partial = {f"{name}_where": sa.text(database) for name in _PARTIAL}
        old = sa.Index(
            str(index.name),
            *(conn_table.c[name] for name in found["column_names"] if name in conn_table.c),
            unique=bool(found.get("unique")),
            **partial,
        )
        modify.ops.append(ops.DropIndexOp.from_index(old))
        modify.ops.append(ops.CreateIndexOp.from_index(index))


def _same_check(
    connection: Connection, schema: str | None, table: str, name: str, model: str, database: str
) -> bool:
    if connection.dialect.name != "postgresql":
        return _normal(model) == _normal(database)
    relation = _relation(connection, schema, table)
    stored = connection.execute(
        sa.text(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conname = :name AND conrelid = CAST(:rel AS regclass)"
        ),
        {"name": name, "rel": relation},
    ).scalar()
    probe = _probe(
        connection,
        relation,
        f"ALTER TABLE {_PROBE} ADD CONSTRAINT {_PROBE}_ck CHECK ({model})",
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
        f"WHERE conname = '{_PROBE}_ck' AND conrelid = CAST('{_PROBE}' AS regclass)",
    )
    return probe is not None and probe == stored


def _same_where(
    connection: Connection,
    schema: str | None,
    table: str,
    index: sa.Index,
    model: str,
    database: str,
) -> bool:
    if connection.dialect.name != "postgresql":
        return _normal(model) == _normal(database)
    relation = _relation(connection, schema, table)
    first = connection.dialect.identifier_preparer.quote(str(next(iter(index.columns)).name))
    probe = _probe(
        connection,
        relation,
        f"CREATE INDEX {_PROBE}_ix ON {_PROBE} ({first}) WHERE {model}",
        "SELECT pg_get_expr(indpred, indrelid) FROM pg_index "
        f"WHERE indexrelid = CAST('{_PROBE}_ix' AS regclass)",
    )
    return probe is not None and probe == database


def _probe(connection: Connection, relation: str, statement: str, query: str) -> str | None:
    """Run ``statement`` on an empty copy of ``relation`` and return what ``query`` reads;
    nothing of it stays (the savepoint is rolled back). ``None``: the database refused it."""
    savepoint = connection.begin_nested()
    try:
        connection.exec_driver_sql(f"CREATE TEMPORARY TABLE {_PROBE} (LIKE {relation})")
        connection.exec_driver_sql(statement)
        value = connection.exec_driver_sql(query).scalar()
    except sa.exc.DBAPIError:
        value = None
    finally:
        savepoint.rollback()
    return str(value) if value is not None else None


def _relation(connection: Connection, schema: str | None, table: str) -> str:
    quote = connection.dialect.identifier_preparer.quote
    return f"{quote(schema)}.{quote(table)}" if schema else quote(table)


def _sql(clause: Any, connection: Connection) -> str:
    if isinstance(clause, str):
        return clause
    compiled = clause.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True})
    return str(compiled)


_NOISE = re.compile(r"[\s()'\"`\[\]]")


def _normal(sql: str) -> str:
    return _NOISE.sub("", sql).lower()


def setup(plugin: Plugin) -> None:
    """Register the comparators (Alembic calls this once, for the plugin named ``PLUGIN``)."""
    plugin.add_autogenerate_comparator(
        compare_table, "table", "loom_conditions", priority=DispatchPriority.LAST
    )


def register() -> None:
    """Make the plugin known to Alembic (once per process)."""
    with contextlib.suppress(ValueError):  # registered already
        Plugin.setup_plugin_from_module(sys.modules[__name__], PLUGIN)
