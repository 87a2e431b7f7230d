"""Table-level declarations of a model: ``__unique__``, ``__indexes__``, ``__checks__`` and
``__partial_unique__`` (loom-kernel's spellings), compiled to SQLAlchemy constraints."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.schema import SchemaItem

from loom.core.model import (
    ModelInfo,
    declared_checks,
    declared_indexes,
    declared_partial_unique,
    declared_unique,
)


def table_constraints(model: type[Any], info: ModelInfo) -> list[SchemaItem]:
    """Constraints and indexes a model declares beside its columns.

    Names follow ``uq_<table>_<columns>``, ``ix_<table>_<columns>`` and ``ck_<table>_<rule>``,
    so a violation names the constraint and the error translation finds its columns.
    """
    table = info.table_name
    items: list[SchemaItem] = []
    for columns in declared_unique(model):
        items.append(sa.UniqueConstraint(*columns, name=f"uq_{table}_{'_'.join(columns)}"))
    for columns in declared_indexes(model):
        items.append(sa.Index(f"ix_{table}_{'_'.join(columns)}", *columns))
    for rule, expression in declared_checks(model).items():
        # The metadata's naming convention makes this ``ck_<table>_<rule>``.
        items.append(sa.CheckConstraint(expression, name=rule))
    for partial in declared_partial_unique(model):
        where = sa.text(partial.where)
        items.append(
            sa.Index(
                f"uq_{table}_{partial.rule}",
                *partial.columns,
                unique=True,
                postgresql_where=where,
                sqlite_where=where,
            )
        )
    return items
