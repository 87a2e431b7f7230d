"""The tables of linked in-memory repositories and what a database would do to their rows.

Repositories linked through ``relations=`` share one :class:`MemoryDatabase`; foreign keys,
``ON DELETE`` actions and relation loading look up the other tables there. The checks raise the
errors the SQLAlchemy adapter translates database errors into, with the same message shapes.
Server defaults that are timestamps or literals are evaluated here too.

Imports the standard library, msgspec and ``loom.core`` only (never sqlalchemy).
"""

from __future__ import annotations

import contextlib
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import msgspec

from loom.core.errors import ConfigError, ConflictError, FieldError, QueryError, ValidationError
from loom.core.events import MutationEvent
from loom.core.model import ModelInfo, OnDelete, model_info

if TYPE_CHECKING:
    from loom.testing._memory import InMemoryRepository

_RESTRICTING = (None, OnDelete.RESTRICT, OnDelete.NO_ACTION)


@dataclass(eq=False)
class MemoryDatabase:
    """The tables of a group of linked repositories, by table name."""

    tables: dict[str, InMemoryRepository[Any, Any]] = field(default_factory=dict)

    def add(self, repo: InMemoryRepository[Any, Any]) -> None:
        """Add a repository's table, refusing a second repository for the same table."""
        name = repo.info.table_name
        other = self.tables.get(name)
        if other is not None and other is not repo:
            raise ConfigError(
                f"two in-memory repositories for table {name!r} ({other.info.name} and "
                f"{repo.info.name}) cannot be linked; link one repository per table"
            )
        self.tables[name] = repo
        repo._db = self

    def merge(self, other: MemoryDatabase) -> None:
        """Take every table of ``other`` (its repositories then share this database)."""
        if other is self:
            return
        for repo in list(other.tables.values()):
            self.add(repo)

    def resolve(self, target: type[Any] | str, asking: ModelInfo) -> InMemoryRepository[Any, Any]:
        """The repository of a relation or loader target (a model, its class or table name).

        Raises:
            ConfigError: When no linked repository holds that model.
        """
        if isinstance(target, str):
            for repo in self.tables.values():
                if target in (repo.info.name, repo.info.table_name):
                    return repo
        else:
            found = self.tables.get(model_info(target).table_name)
            if found is not None:
                return found
        shown = target if isinstance(target, str) else target.__name__
        linked = ", ".join(sorted(r.info.name for r in self.tables.values()))
        raise ConfigError(
            f"{asking.name}: {shown!r} has no linked in-memory repository; create it with "
            f"InMemoryRepository({shown}, relations=[...]) linking the {asking.name} "
            f"repository (linked: {linked})"
        )

    @contextlib.contextmanager
    def atomic(self) -> Iterator[None]:
        """Undo every change to every linked table when the block raises."""
        saved = {name: (dict(repo._rows), repo._next_id) for name, repo in self.tables.items()}
        try:
            yield
        except BaseException:
            for name, (rows, next_id) in saved.items():
                repo = self.tables[name]
                repo._rows, repo._next_id = rows, next_id
            raise


def check_not_null(info: ModelInfo, values: Mapping[str, Any]) -> None:
    """Refuse NULL in a column that does not accept it (the database's NOT NULL)."""
    for name, column in info.columns.items():
        if values.get(name) is None and not column.nullable:
            raise ValidationError(
                f"{info.name}: field '{name}' may not be null",
                errors=[FieldError(name, "may not be null; give a value")],
            )


def check_unique(repo: InMemoryRepository[Any, Any], values: Mapping[str, Any], pk: Any) -> None:
    """Refuse a value of a unique column (or the key) another row already holds."""
    info = repo.info
    key = info.primary_key[0]
    if values.get(key) != pk and values.get(key) in repo._rows:
        raise _unique_error(info, key)
    for name, column in info.columns.items():
        value = values.get(name)
        if not column.spec.unique or value is None or column.spec.primary_key:
            continue
        # NULLs never collide, as in SQL.
        if any(row[name] == value for k, row in repo._rows.items() if k != pk):
            raise _unique_error(info, name)


def _unique_error(info: ModelInfo, name: str) -> ConflictError:
    return ConflictError(
        f"{info.name} with this {name} already exists",
        fields=[name],
        errors=[FieldError(name, "already exists")],
    )


def check_references(repo: InMemoryRepository[Any, Any], values: Mapping[str, Any]) -> None:
    """Refuse a foreign key naming a row that does not exist in a linked table.

    Foreign keys to tables without a linked repository are not checked.
    """
    info = repo.info
    for name, column in info.columns.items():
        target, value = column.spec.foreign_key, values.get(name)
        if target is None or value is None:
            continue
        table, _, target_column = target.rpartition(".")
        parent = repo._db.tables.get(table)
        if parent is None:
            continue
        if target_column == parent.info.primary_key[0]:
            exists = value in parent._rows
        else:
            exists = any(row[target_column] == value for row in parent._rows.values())
        if not exists:
            raise ValidationError(
                f"{info.name}: {name} names a row that does not exist",
                code="missing_reference",
                errors=[FieldError(name, f"no {target} matches this value")],
            )


def delete_row(repo: InMemoryRepository[Any, Any], pk: Any) -> None:
    """Delete one row and apply its children's ``ON DELETE`` actions, as the database would.

    Raises:
        ConflictError: When a child row references it without ``CASCADE`` or ``SET NULL``.
    """
    row = repo._rows.pop(pk)
    prefix = repo.info.table_name + "."
    for child in list(repo._db.tables.values()):
        for name, column in child.info.columns.items():
            fk = column.spec.foreign_key
            if fk is None or not fk.startswith(prefix):
                continue
            value = row[fk[len(prefix) :]]
            children = [k for k, r in child._rows.items() if r[name] == value]
            if not children:
                continue
            action = column.spec.on_delete
            if action in _RESTRICTING:
                constraint = f"{child.info.table_name}_{name}_fkey"
                raise ConflictError(
                    f"{repo.info.name} cannot be deleted: other rows still reference it "
                    f"({constraint})",
                    code="still_referenced",
                    constraint=constraint,
                )
            for key in children:
                if action is OnDelete.CASCADE:
                    if key in child._rows:  # a self-reference may have removed it already
                        delete_row(child, key)
                else:
                    child._rows[key] = {**child._rows[key], name: None}


def cascade_events(repo: InMemoryRepository[Any, Any]) -> list[MutationEvent]:
    """Events for the children a delete changes through ``CASCADE`` / ``SET NULL``."""
    events: list[MutationEvent] = []
    prefix = repo.info.table_name + "."
    for child in repo._db.tables.values():
        for name, column in child.info.columns.items():
            fk, action = column.spec.foreign_key, column.spec.on_delete
            if fk is None or not fk.startswith(prefix) or action in _RESTRICTING:
                continue
            op: Any = "deleted" if action is OnDelete.CASCADE else "updated"
            events.append(MutationEvent(child.info.entity, op, (), (name,)))
    return events


def check_conflict_keys(info: ModelInfo, keys: tuple[str, ...]) -> None:
    """Refuse upsert conflict keys that are not the primary key or a unique field.

    Raises:
        QueryError: As the SQL repository does before sending ``ON CONFLICT``.
    """
    unique = [info.primary_key] + [(n,) for n, c in info.columns.items() if c.spec.unique]
    if keys not in unique:
        shown = "; ".join(", ".join(k) for k in unique)
        raise QueryError(
            f"{info.name}.upsert: conflict_on={keys!r} is not a unique key; use the "
            f"primary key or a unique field ({shown})"
        )


def is_mutable(tp: Any) -> bool:
    """Whether values of this type can be changed in place (copied on the way in and out)."""
    origin = typing.get_origin(tp) or tp
    if origin in (list, dict, set):
        return True
    return isinstance(origin, type) and issubclass(origin, msgspec.Struct)


def server_default_value(info: ModelInfo, name: str, expression: str) -> Any:
    """The value a ``server_default`` gives (timestamps and literals only).

    Raises:
        ConfigError: For any other SQL expression.
    """
    text = expression.strip()
    upper = text.upper()
    raw: Any
    if upper in ("CURRENT_TIMESTAMP", "NOW()"):
        raw = datetime.now(UTC)
    elif upper == "CURRENT_DATE":
        raw = datetime.now(UTC).date()
    elif len(text) >= 2 and text[0] == text[-1] == "'":
        raw = text[1:-1].replace("''", "'")
    else:
        try:
            raw = msgspec.json.decode(text.lower())
        except msgspec.DecodeError:
            raw = msgspec.UNSET
    try:
        if raw is not msgspec.UNSET:
            return msgspec.convert(raw, info.columns[name].type, strict=False)
    except msgspec.ValidationError:
        pass
    raise ConfigError(
        f"{info.name}.{name}: server_default {expression!r} cannot be evaluated in memory; "
        "give the field a Python default (default= or default_factory=) for unit tests"
    )
