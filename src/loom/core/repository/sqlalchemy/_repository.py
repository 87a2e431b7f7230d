"""``RepositorySQLAlchemy``: one SQL statement per operation, rows straight into Structs."""

from __future__ import annotations

import secrets
import typing
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Row

from loom.core.errors import ConfigError, QueryError, TransactionError
from loom.core.events import MutationEvent
from loom.core.model import ModelInfo, OnDelete
from loom.core.query import (
    CursorCodec,
    CursorResult,
    FilterGroup,
    PageResult,
    QuerySpec,
    as_filter_group,
    check_field,
    check_profile,
    field_value,
)
from loom.core.repository._listing import PaginatedListing
from loom.core.repository._payload import create_values, update_values
from loom.core.repository.sqlalchemy import _query
from loom.core.repository.sqlalchemy._compiler import CompiledModel, compile_model, registry_for
from loom.core.repository.sqlalchemy._errors import Operation, out_of_range, translate
from loom.core.repository.sqlalchemy._profiles import ProfileLoader
from loom.core.repository.sqlalchemy._rows import fill_value, ordered_batches, row_converter
from loom.core.repository.sqlalchemy._session import SessionManager
from loom.core.repository.sqlalchemy._transaction import Transaction

OutputT = TypeVar("OutputT")
IdT = TypeVar("IdT")

_PK = "loom_pk"
_PROCESS_KEY = secrets.token_bytes(32)
_VALUE = "loom_value"


def _model_from_generic(cls: type[Any]) -> type[Any] | None:
    for klass in cls.__mro__:
        for base in getattr(klass, "__orig_bases__", ()):
            if typing.get_origin(base) is RepositorySQLAlchemy:
                arg = typing.get_args(base)[0]
                if isinstance(arg, type):
                    return arg
    return None


class RepositorySQLAlchemy(PaginatedListing[OutputT], Generic[OutputT, IdT]):
    """Repository of one model on SQLAlchemy Core.

    Every operation is one SQL statement (``INSERT/UPDATE/DELETE ... RETURNING``, one
    ``SELECT`` per read, plus one per relation or projection a profile asks for). It joins the
    transaction open in the task, or runs in its own. Results are model Structs.

    Args:
        session_manager: Where connections and transactions come from.
        model: The Struct model (optional when given as the generic parameter of a subclass).
        base: Declarative base whose registry compiles the model (the session manager's
            ``base``, else ``Base``).
        cursor_codec: Signs cursors; defaults to the session manager's ``cursor_codec``, else
            a key of this process only.
        max_limit: Largest page a query may ask for (the session manager's ``max_limit``).
    """

    def __init__(
        self,
        session_manager: SessionManager,
        model: type[OutputT] | None = None,
        *,
        base: type[Any] | None = None,
        cursor_codec: CursorCodec | None = None,
        max_limit: int | None = None,
    ) -> None:
        resolved = model or _model_from_generic(type(self))
        if resolved is None:
            raise ConfigError(
                f"{type(self).__name__}: no model; pass it (RepositorySQLAlchemy(sm, Product)) "
                "or subclass RepositorySQLAlchemy[Product, int]"
            )
        self.session_manager = session_manager
        self.model: type[OutputT] = resolved
        base = base or session_manager.base
        self._compiled: CompiledModel = compile_model(resolved, base)
        self._registry = registry_for(base)
        self.info: ModelInfo = self._compiled.info
        self.table: sa.Table = self._compiled.table
        # Without a configured secret, cursors are signed with a key of this process only: they
        # then do not survive a restart nor cross processes (the kernel warns at boot).
        self._codec = cursor_codec or session_manager.cursor_codec or CursorCodec(_PROCESS_KEY)
        self._max_limit = session_manager.max_limit if max_limit is None else max_limit
        table, pk = self.table, self._compiled.pk
        columns = list(table.c)
        self._pk_index = columns.index(pk)
        self._select_pk = sa.select(*columns).where(pk == sa.bindparam(_PK))
        self._insert = sa.insert(table).returning(*columns)
        self._insert_many = sa.insert(table).returning(*columns, sort_by_parameter_order=True)
        self._insert_batches = sa.insert(table).returning(*columns)
        self._update = sa.update(table).where(pk == sa.bindparam(_PK)).returning(*columns)
        self._delete = sa.delete(table).where(pk == sa.bindparam(_PK)).returning(pk)
        self._by_field: dict[str, sa.Select[Any]] = {}
        self._exists_field: dict[str, sa.Select[Any]] = {}
        self._profiles = ProfileLoader(self)
        self._row_to_model: typing.Callable[[Row[Any]], OutputT] = row_converter(self.info)

    @property
    def entity_name(self) -> str:
        """The entity name used in events and cache tags (the table name)."""
        return self.info.entity

    def to_model(self, row: Row[Any]) -> OutputT:
        """Build the model Struct from a row of this table."""
        return self._row_to_model(row)

    # -- execution ---------------------------------------------------------------------------

    async def _fetch(
        self, statement: sa.Executable, params: Mapping[str, Any] | None = None
    ) -> Sequence[Row[Any]]:
        tx = self.session_manager.current()
        try:
            if tx is not None:
                result = await (await tx.connect()).execute(statement, params)
                return result.all()
            async with self.session_manager.engine.connect() as conn:
                return (await conn.execute(statement, params)).all()
        except sa_exc.DBAPIError as exc:
            raise translate(exc, self.info, "read") from exc
        except OverflowError as exc:
            raise out_of_range(self.info, exc) from exc

    async def _write(
        self,
        statement: sa.Executable,
        params: Mapping[str, Any] | Sequence[Mapping[str, Any]],
        operation: Operation,
        event: typing.Callable[[Sequence[Row[Any]]], list[MutationEvent]],
    ) -> Sequence[Row[Any]]:
        tx = self.session_manager.current()
        if tx is not None:
            return await self._write_in(tx, statement, params, operation, event)
        async with self.session_manager.transaction() as opened:
            assert opened is not None  # REQUIRED always yields a transaction
            return await self._write_in(opened, statement, params, operation, event)

    async def _write_in(
        self,
        tx: Transaction,
        statement: sa.Executable,
        params: Mapping[str, Any] | Sequence[Mapping[str, Any]],
        operation: Operation,
        event: typing.Callable[[Sequence[Row[Any]]], list[MutationEvent]],
    ) -> Sequence[Row[Any]]:
        if tx.read_only:
            raise TransactionError(
                f"{self.info.name}: write refused in a read-only transaction; declare "
                "the use case read_only = False or open the transaction without read_only"
            )
        try:
            rows = (await (await tx.connect()).execute(statement, params)).all()
        except sa_exc.DBAPIError as exc:
            fields = params.keys() if isinstance(params, Mapping) else ()
            raise translate(exc, self.info, operation, fields) from exc
        except OverflowError as exc:
            raise out_of_range(self.info, exc) from exc
        for mutation in event(rows):
            tx.uow.record(mutation)
        return rows

    def _event(
        self, op: typing.Literal["created", "updated", "deleted"], fields: Sequence[str] = ()
    ) -> typing.Callable[[Sequence[Row[Any]]], list[MutationEvent]]:
        entity = self.info.entity
        # DELETE returns the key alone; the other statements return every column.
        index = 0 if op == "deleted" else self._pk_index

        def build(rows: Sequence[Row[Any]]) -> list[MutationEvent]:
            if not rows:
                return []
            ids = tuple(row[index] for row in rows)
            events = [MutationEvent(entity, op, ids, tuple(fields))]
            if op == "deleted":
                events.extend(self._cascade_events())
            return events

        return build

    def _cascade_events(self) -> list[MutationEvent]:
        """Children the database changes on delete (ON DELETE CASCADE / SET NULL)."""
        events = []
        target = self.info.table_name + "."
        for compiled in self._registry.models.values():
            for name, column in compiled.info.columns.items():
                fk, on_delete = column.spec.foreign_key, column.spec.on_delete
                if (
                    fk
                    and fk.startswith(target)
                    and on_delete in (OnDelete.CASCADE, OnDelete.SET_NULL)
                ):
                    op: typing.Literal["deleted", "updated"] = (
                        "deleted" if on_delete.value == "CASCADE" else "updated"
                    )
                    events.append(MutationEvent(compiled.info.entity, op, (), (name,)))
        return events

    # -- reads -------------------------------------------------------------------------------

    async def get_by_id(self, obj_id: IdT, profile: str = "default") -> OutputT | None:
        """Return the row with this primary key, or ``None``."""
        check_profile(self.info, profile)
        rows = await self._fetch(self._select_pk, {_PK: obj_id})
        if not rows:
            return None
        item = self._row_to_model(rows[0])
        if self._profiles.active(profile):
            await self._profiles.load([item], profile)
        return item

    def _field_column(self, field: str) -> sa.Column[Any]:
        check_field(self.info, field)
        return self.table.c[field]

    async def get_by(self, field: str, value: Any, profile: str = "default") -> OutputT | None:
        """Return the row (lowest primary key) whose ``field`` equals ``value``, or ``None``."""
        check_profile(self.info, profile)
        statement = self._by_field.get(field)
        if statement is None:
            column = self._field_column(field)
            statement = (
                sa.select(*self.table.c)
                .where(column == sa.bindparam(_VALUE))
                .order_by(self._compiled.pk)
                .limit(1)
            )
            self._by_field[field] = statement
        rows = await self._fetch(statement, {_VALUE: field_value(self.info, field, value)})
        if not rows:
            return None
        item = self._row_to_model(rows[0])
        if self._profiles.active(profile):
            await self._profiles.load([item], profile)
        return item

    async def exists_by(self, field: str, value: Any) -> bool:
        """Whether a row whose ``field`` equals ``value`` exists."""
        statement = self._exists_field.get(field)
        if statement is None:
            column = self._field_column(field)
            statement = (
                sa.select(sa.literal(1))
                .select_from(self.table)
                .where(column == sa.bindparam(_VALUE))
                .limit(1)
            )
            self._exists_field[field] = statement
        rows = await self._fetch(statement, {_VALUE: field_value(self.info, field, value)})
        return bool(rows)

    async def count(self, filters: FilterGroup | Mapping[str, Any] | None = None) -> int:
        """Count rows matching the filters (every row without)."""
        statement, params = _query.count_query(self.table, self.info, as_filter_group(filters))
        rows = await self._fetch(statement, params)
        return int(rows[0][0])

    async def list_with_query(
        self, query: QuerySpec, profile: str = "default"
    ) -> PageResult[OutputT] | CursorResult[OutputT]:
        """One page (offset or cursor, by ``query.pagination``) of rows matching the query."""
        check_profile(self.info, profile)
        plan = _query.build_list(
            self.table, self.info, query, codec=self._codec, max_limit=self._max_limit
        )
        rows = await self._fetch(plan.template, plan.params)
        to_item = self._row_to_model
        if query.include_total:
            # The window count rides along as an extra column: build items from the rest.
            to_item = row_converter(self.info, plan.columns)
        total = None
        if plan.needs_count(rows):
            total = int((await self._fetch(plan.count_template, plan.params))[0][0])
        result: PageResult[OutputT] | CursorResult[OutputT] = plan.finish(
            rows, to_item, total=total
        )
        if self._profiles.active(profile) and result.items:
            await self._profiles.load(result.items, profile)
        return result

    # -- writes ------------------------------------------------------------------------------

    async def create(self, data: Any) -> OutputT:
        """Insert one row (``INSERT ... RETURNING``) and return it as stored."""
        values = create_values(self.info, data)
        rows = await self._write(self._insert, values, "create", self._event("created"))
        return self._row_to_model(rows[0])

    async def create_many(self, items: Sequence[Any]) -> list[OutputT]:
        """Insert many rows in batched statements (insertmanyvalues), in the given order."""
        if not items:
            return []
        now = datetime.now(UTC)  # one instant for the whole batch, as one statement
        values = [create_values(self.info, item, now) for item in items]
        statement, restore = ordered_batches(
            self.session_manager.dialect_name,
            self.info,
            values,
            ordered=self._insert_many,
            unordered=self._insert_batches,
        )
        first = values[0].keys()
        if any(v.keys() != first for v in values):
            # Every row of one batched statement must name the same columns.
            every = set().union(*(v.keys() for v in values))
            for row in values:
                for name in every - row.keys():
                    row[name] = fill_value(self.info, name)
        rows = await self._write(statement, values, "create", self._event("created"))
        return [self._row_to_model(row) for row in restore(rows)]

    async def update(self, obj_id: IdT, data: Any) -> OutputT | None:
        """Change only the fields present in ``data``; ``None`` when the row does not exist."""
        values = update_values(self.info, data)
        if not values:
            return await self.get_by_id(obj_id)
        params = {**values, _PK: obj_id}
        rows = await self._write(
            self._update, params, "update", self._event("updated", tuple(values))
        )
        return self._row_to_model(rows[0]) if rows else None

    async def delete(self, obj_id: IdT) -> bool:
        """Delete the row (``DELETE ... RETURNING``); ``False`` when it did not exist."""
        rows = await self._write(self._delete, {_PK: obj_id}, "delete", self._event("deleted"))
        return bool(rows)

    async def upsert(self, data: Any, *, conflict_on: Sequence[str] | None = None) -> OutputT:
        """Insert, or update the row with the same ``conflict_on`` values (native ON CONFLICT)."""
        keys = tuple(conflict_on or self.info.primary_key)
        for key in keys:
            self._field_column(key)
        unique = [self.info.primary_key] + [
            (name,) for name, column in self.info.columns.items() if column.spec.unique
        ]
        if keys not in unique:
            # ON CONFLICT needs a unique index on exactly these columns; without one the
            # database refuses the statement with an error that names no field.
            raise QueryError(
                f"{self.info.name}.upsert: conflict_on={keys!r} is not a unique key; use the "
                f"primary key or a unique field ({'; '.join(', '.join(k) for k in unique)})"
            )
        values = create_values(self.info, data)
        missing = [k for k in keys if k not in values]
        if missing:
            raise QueryError(
                f"{self.info.name}.upsert: conflict key field(s) {', '.join(missing)} missing "
                "from the data; give them or choose other conflict_on fields"
            )
        insert = (
            postgresql.insert(self.table)
            if self.session_manager.dialect_name == "postgresql"
            else sqlite.insert(self.table)
        )
        keep = {"created_at", "created_by", *keys}
        update_set = {name: insert.excluded[name] for name in values if name not in keep}
        statement = (
            insert.on_conflict_do_update(index_elements=list(keys), set_=update_set)
            if update_set
            else insert.on_conflict_do_nothing(index_elements=list(keys))
        ).returning(*self.table.c)
        rows = await self._write(
            statement, values, "upsert", self._event("updated", tuple(update_set))
        )
        if rows:
            return self._row_to_model(rows[0])
        found = await self.get_by(keys[0], values[keys[0]])
        assert found is not None
        return found

    async def on_transaction_committed(self, events: tuple[MutationEvent, ...]) -> None:
        """Post-commit hook; the plain repository has nothing to do (caches override it)."""
