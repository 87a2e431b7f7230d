"""Rows to Structs, and batched INSERTs whose returned rows come back in input order."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.engine import Row

from loom.core.model import ModelInfo
from loom.core.repository._payload import holds_structs

RowToItem = Callable[[Row[Any]], Any]
Restore = Callable[[Sequence[Row[Any]]], Sequence[Row[Any]]]


def row_converter(info: ModelInfo, columns: Sequence[str] | None = None) -> RowToItem:
    """Build a model Struct from a row: all of it, or the leading ``columns`` of a wider row.

    Rows become Structs by keyword construction (the database already typed the values);
    models with Struct-typed JSON fields go through ``msgspec.convert`` to rebuild them.
    """
    model = info.model
    convert = any(holds_structs(column.base_type) for column in info.columns.values())
    if columns is not None:
        indexed = tuple(enumerate(columns))
        if convert:
            return lambda row: msgspec.convert(
                {name: row[i] for i, name in indexed}, model, strict=False
            )
        return lambda row: model(**{name: row[i] for i, name in indexed})
    if convert:
        # Row keys may be quoted_name (a str subclass msgspec refuses as a mapping key).
        return lambda row: msgspec.convert(
            {str(k): v for k, v in zip(row._fields, row, strict=True)}, model, strict=False
        )
    return lambda row: model(**row._mapping)


def fill_value(info: ModelInfo, name: str) -> Any:
    """The value a batch row that does not name ``name`` gets (its default, else NULL)."""
    column = info.columns[name]
    if column.spec.default_factory is not None:
        return column.spec.default_factory()
    if column.spec.has_default:
        return column.spec.default
    return None


def _as_is(rows: Sequence[Row[Any]]) -> Sequence[Row[Any]]:
    return rows


def ordered_batches(
    dialect: str,
    info: ModelInfo,
    values: Sequence[Mapping[str, Any]],
    *,
    ordered: sa.Executable,
    unordered: sa.Executable,
) -> tuple[sa.Executable, Restore]:
    """The batched INSERT for ``values`` and how to put its rows back in input order.

    SQLite does not promise the order of RETURNING rows, so for ``sort_by_parameter_order``
    SQLAlchemy falls back to one statement per row there. Instead, batches are sent unordered
    and the rows are matched back by key: keys given by the caller are looked up, and keys
    SQLite generates grow in VALUES order (each new rowid is the largest plus one, and the
    transaction holds the write lock), so sorting by key restores the order.
    """
    if dialect != "sqlite" or len(info.primary_key) != 1:
        return ordered, _as_is
    pk = info.primary_key[0]
    given = [row.get(pk) for row in values]
    if all(key is not None for key in given):

        def by_given_key(rows: Sequence[Row[Any]]) -> list[Row[Any]]:
            found = {row._mapping[pk]: row for row in rows}
            return [found[key] for key in given]

        return unordered, by_given_key
    if any(key is not None for key in given) or info.columns[pk].base_type is not int:
        return ordered, _as_is
    return unordered, lambda rows: sorted(rows, key=lambda row: row._mapping[pk])
