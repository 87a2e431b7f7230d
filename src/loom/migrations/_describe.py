"""Autogenerate's differences in words: what ``loom db check`` and ``revision`` print.

Each line names the table and the column, index or constraint, and says which side has what:
"the models" are the application's declared models (and Loom's tables), "the migrations" the
schema their revisions build.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa


def describe(diffs: list[Any]) -> list[str]:
    """One line per difference, a changed condition (dropped and added again) as one line."""
    flat: list[tuple[Any, ...]] = []
    for diff in diffs:
        if isinstance(diff, list):
            flat.extend(diff)
        else:
            flat.append(diff)
    removed = {_key(d): d for d in flat if d[0] in ("remove_constraint", "remove_index")}
    lines: list[str] = []
    for diff in flat:
        kind = diff[0]
        if kind in ("remove_constraint", "remove_index") and _changed(diff, flat):
            continue
        if kind in ("add_constraint", "add_index") and (_key(diff) in removed):
            lines.append(_changed_line(diff[1]))
            continue
        lines.append(_line(diff))
    return lines


def _key(diff: tuple[Any, ...]) -> tuple[str, str]:
    item = diff[1]
    kind = "index" if isinstance(item, sa.Index) else "constraint"
    return kind, str(item.name)


def _changed(diff: tuple[Any, ...], flat: list[tuple[Any, ...]]) -> bool:
    twin = "add_index" if diff[0] == "remove_index" else "add_constraint"
    return any(other[0] == twin and _key(other) == _key(diff) for other in flat)


def _changed_line(item: Any) -> str:
    table = item.table.name
    if isinstance(item, sa.Index):
        where = _where(item)
        condition = f" WHERE {where}" if where else " without WHERE"
        return f"table {table!r}: index {item.name!r} differs (the models have it{condition})"
    return f"table {table!r}: CHECK {item.name!r} differs (the models have CHECK ({item.sqltext}))"


def _line(diff: tuple[Any, ...]) -> str:
    kind = diff[0]
    if kind == "add_table":
        return f"table {diff[1].name!r} is in the models, not in the migrations"
    if kind == "remove_table":
        return f"table {diff[1].name!r} is in the migrations, not in the models"
    if kind in ("add_column", "remove_column"):
        _, _, table, column = diff
        side = _sides(kind)
        return f"column {table}.{column.name} ({column.type}) is {side}"
    if kind in ("add_index", "remove_index"):
        index = diff[1]
        columns = ", ".join(str(c.name) for c in index.columns) or "expressions"
        unique = "unique index" if index.unique else "index"
        return f"table {index.table.name!r}: {unique} {index.name!r} ({columns}) is {_sides(kind)}"
    if kind in ("add_constraint", "remove_constraint"):
        constraint = diff[1]
        return f"table {constraint.table.name!r}: {_constraint(constraint)} is {_sides(kind)}"
    if kind in ("add_fk", "remove_fk"):
        fk = diff[1]
        return f"table {fk.table.name!r}: {_foreign_key(fk)} is {_sides(kind)}"
    if kind.startswith("modify_"):
        return _modified(diff)
    return f"{kind.replace('_', ' ')}: {', '.join(str(part) for part in diff[1:])}"


def _sides(kind: str) -> str:
    if kind.startswith("add"):
        return "in the models, not in the migrations"
    return "in the migrations, not in the models"


def _modified(diff: tuple[Any, ...]) -> str:
    kind, _, table, column = diff[:4]
    old, new = diff[-2], diff[-1]
    what = kind.removeprefix("modify_")
    if what == "nullable":
        return (
            f"column {table}.{column}: {'NULL' if new else 'NOT NULL'} in the models, "
            f"{'NULL' if old else 'NOT NULL'} in the migrations"
        )
    if what == "default":
        return (
            f"column {table}.{column}: server default {_default(new)} in the models, "
            f"{_default(old)} in the migrations"
        )
    return f"column {table}.{column}: {what} {new} in the models, {old} in the migrations"


def _default(value: Any) -> str:
    if value is None:
        return "none"
    arg = getattr(value, "arg", value)
    return repr(str(getattr(arg, "text", arg)))


def _constraint(constraint: Any) -> str:
    if isinstance(constraint, sa.CheckConstraint):
        return f"CHECK {constraint.name!r} ({constraint.sqltext})"
    if isinstance(constraint, sa.UniqueConstraint):
        columns = ", ".join(str(c.name) for c in constraint.columns)
        return f"unique constraint {constraint.name!r} ({columns})"
    return f"constraint {constraint.name!r}"


def _foreign_key(fk: Any) -> str:
    columns = ", ".join(str(c.name) for c in fk.columns)
    target = f"{fk.referred_table.name}({', '.join(e.column.name for e in fk.elements)})"
    on_delete = f" ON DELETE {fk.ondelete}" if fk.ondelete else ""
    return f"foreign key {fk.name!r} ({columns}) -> {target}{on_delete}"


def _where(index: sa.Index) -> str | None:
    for dialect in ("postgresql", "sqlite"):
        where = index.dialect_options[dialect].get("where")
        if where is not None:
            return str(where)
    return None
