"""``InMemoryRepository``: the full repository contract on Python dicts, for unit tests.

It answers every :class:`~loom.core.repository.abc.RepoFor` call as
:class:`~loom.core.repository.sqlalchemy.RepositorySQLAlchemy` does on a database: generated
integer keys, unique and foreign-key constraints raising the same errors, the same payload
validation, filters, NULL ordering, offset pages and signed keyset cursors, relations and
projections by profile. Writes record :class:`~loom.core.events.MutationEvent` s in the unit of
work open in the task (or deliver them to :meth:`InMemoryRepository.add_post_commit_hook`
hooks at once), so caches and other post-commit consumers behave in unit tests as in
production. Results are fresh Structs: a caller that mutates one never changes a stored row.

Limits: writes are not undone when an enclosing transaction rolls back, ``server_default``
expressions other than timestamps are not evaluated, and string lengths are not enforced.

Imports the standard library, msgspec and ``loom.core``, and never sqlalchemy itself. The
payload helpers still live in the adapter package (``loom.core.repository._payload``,
pure code), so importing this module loads sqlalchemy until they move to the core.
"""

from __future__ import annotations

import copy
import secrets
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Generic, Literal, TypeVar

from loom.core.errors import QueryError, TransactionError
from loom.core.events import MutationEvent, SupportsPostCommit
from loom.core.model import ModelInfo, model_info
from loom.core.query import (
    CursorCodec,
    CursorResult,
    FilterGroup,
    PageResult,
    PaginationMode,
    QuerySpec,
    as_filter_group,
    check_field,
    check_profile,
    field_value,
    query_fingerprint,
    validate_filters,
    validate_query,
)
from loom.core.repository._listing import PaginatedListing
from loom.core.repository._payload import create_values, update_values
from loom.core.transaction import UnitOfWork, current_unit_of_work
from loom.testing import _memory_query as q
from loom.testing._memory_profiles import MemoryProfiles
from loom.testing._memory_store import (
    MemoryDatabase,
    cascade_events,
    check_conflict_keys,
    check_not_null,
    check_references,
    check_unique,
    delete_row,
    is_mutable,
    server_default_value,
)

OutputT = TypeVar("OutputT")
IdT = TypeVar("IdT")

_KEEP_ON_UPSERT = ("created_at", "created_by")


class InMemoryRepository(PaginatedListing[OutputT], Generic[OutputT, IdT]):
    """Repository of one model kept in memory, with the semantics of the SQL repository.

    Args:
        model: The Struct model.
        cursor_codec: Signs cursors; a codec with a random key of this repository by default.
        max_limit: Largest page a query may ask for.
        relations: Repositories of the related models (relation targets, projection sources,
            parents and children of foreign keys). Linking is symmetric: the repositories then
            share one set of tables, and the ones linked to those are linked too.

    Example:
        >>> users = InMemoryRepository(User)  # doctest: +SKIP
        >>> addresses = InMemoryRepository(Address, relations=[users])  # doctest: +SKIP
    """

    def __init__(
        self,
        model: type[OutputT],
        *,
        cursor_codec: CursorCodec | None = None,
        max_limit: int = 1000,
        relations: Iterable[InMemoryRepository[Any, Any]]
        | Mapping[Any, InMemoryRepository[Any, Any]]
        | None = None,
    ) -> None:
        self.model = model
        self.info: ModelInfo = model_info(model)
        self._codec = cursor_codec or CursorCodec(secrets.token_bytes(32))
        self._max_limit = max_limit
        self._rows: dict[Any, dict[str, Any]] = {}
        self._next_id = 1
        self._hooks: list[SupportsPostCommit] = []
        self._pk = self.info.primary_key[0]
        pk_spec = self.info.columns[self._pk].spec
        self._generates_pk = pk_spec.generated and self.info.columns[self._pk].base_type is int
        self._mutable = tuple(
            name for name, column in self.info.columns.items() if is_mutable(column.base_type)
        )
        self._datetimes = tuple(
            name for name, column in self.info.columns.items() if column.base_type is datetime
        )
        self._db = MemoryDatabase()
        self._db.add(self)
        others = relations.values() if isinstance(relations, Mapping) else relations or ()
        for other in others:
            self._db.merge(other._db)
        self._profiles = MemoryProfiles(self)

    def __repr__(self) -> str:
        return f"InMemoryRepository({self.info.name}, rows={len(self._rows)})"

    @property
    def entity_name(self) -> str:
        """The entity name used in events and cache tags (the table name)."""
        return self.info.entity

    def add_post_commit_hook(self, hook: SupportsPostCommit) -> None:
        """Deliver the events of writes made outside a unit of work to ``hook`` at once."""
        if hook not in self._hooks:
            self._hooks.append(hook)

    async def on_transaction_committed(self, events: tuple[MutationEvent, ...]) -> None:
        """Post-commit hook; the plain repository has nothing to do (caches override it)."""

    # Rows and Structs.

    def _to_model(self, row: Mapping[str, Any]) -> OutputT:
        values = dict(row)
        for name in self._mutable:
            values[name] = copy.deepcopy(values[name])
        return self.model(**values)

    def _normalize(self, values: dict[str, Any]) -> dict[str, Any]:
        # The database hands datetimes back aware and in UTC; so does memory.
        for name in self._datetimes:
            value = values.get(name)
            if isinstance(value, datetime):
                values[name] = (
                    value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
                )
        for name in self._mutable:
            if name in values:
                values[name] = copy.deepcopy(values[name])
        return values

    def _key(self, obj_id: Any) -> Any:
        try:
            return field_value(self.info, self._pk, obj_id)
        except QueryError:
            return None  # no row has a key of another type

    async def _with_profile(self, items: list[OutputT], profile: str) -> list[OutputT]:
        if items and self._profiles.active(profile):
            await self._profiles.load(items, profile)
        return items

    # Events.

    def _writing(self) -> UnitOfWork | None:
        uow = current_unit_of_work()
        if uow is not None and uow.read_only:
            raise TransactionError(
                f"{self.info.name}: write refused in a read-only transaction; declare "
                "the use case read_only = False or open the transaction without read_only"
            )
        return uow

    async def _emit(self, uow: UnitOfWork | None, events: list[MutationEvent]) -> None:
        if uow is not None:
            for event in events:
                uow.record(event)
            return
        if events and self._hooks:
            # Outside a transaction each write commits on its own, so it is delivered now.
            delivery = UnitOfWork(events=list(events))
            await delivery.deliver(self._hooks)

    def _event(
        self, op: Literal["created", "updated", "deleted"], ids: Sequence[Any], fields: Any = ()
    ) -> MutationEvent:
        return MutationEvent(self.info.entity, op, tuple(ids), tuple(fields))

    # Reads.

    async def get_by_id(self, obj_id: IdT, profile: str = "default") -> OutputT | None:
        """Return the row with this primary key, or ``None``."""
        check_profile(self.info, profile)
        row = self._rows.get(self._key(obj_id))
        if row is None:
            return None
        return (await self._with_profile([self._to_model(row)], profile))[0]

    def _first(self, field: str, value: Any) -> dict[str, Any] | None:
        check_field(self.info, field)
        wanted = field_value(self.info, field, value)
        if wanted is None:
            return None  # ``column = NULL`` is never true
        found = [row for row in self._rows.values() if row[field] == wanted]
        return min(found, key=lambda row: row[self._pk]) if found else None

    async def get_by(self, field: str, value: Any, profile: str = "default") -> OutputT | None:
        """Return the row (lowest primary key) whose ``field`` equals ``value``, or ``None``."""
        check_profile(self.info, profile)
        row = self._first(field, value)
        if row is None:
            return None
        return (await self._with_profile([self._to_model(row)], profile))[0]

    async def exists_by(self, field: str, value: Any) -> bool:
        """Whether a row whose ``field`` equals ``value`` exists."""
        return self._first(field, value) is not None

    async def count(self, filters: FilterGroup | Mapping[str, Any] | None = None) -> int:
        """Count rows matching the filters (every row without)."""
        group = validate_filters(as_filter_group(filters), self.info)
        return sum(1 for row in self._rows.values() if q.matches(group, row, self.info))

    async def list_with_query(
        self, query: QuerySpec, profile: str = "default"
    ) -> PageResult[OutputT] | CursorResult[OutputT]:
        """One page (offset or cursor, by ``query.pagination``) of rows matching the query."""
        check_profile(self.info, profile)
        checked = validate_query(query, self.info, max_limit=self._max_limit)
        sort, limit = checked.sort, checked.limit
        rows = [row for row in self._rows.values() if q.matches(checked.filters, row, self.info)]
        rows = q.sort_rows(sort, rows)
        if checked.pagination is PaginationMode.CURSOR:
            fingerprint = query_fingerprint(self.info.name, checked)
            if checked.cursor is not None:
                raw = self._codec.decode(checked.cursor, self.info.name, fingerprint)
                after = q.cursor_values(sort, self.info, raw)
                rows = [r for r in rows if q.compare_keys(sort, q.key_values(sort, r), after) > 0]
            window = rows[: limit + 1]
            has_next = len(window) > limit
            items = await self._with_profile([self._to_model(r) for r in window[:limit]], profile)
            next_cursor = None
            if has_next:
                last = q.key_values(sort, window[limit - 1])
                next_cursor = self._codec.encode(self.info.name, fingerprint, last)
            return CursorResult(items=items, next_cursor=next_cursor, has_next=has_next)
        start = (checked.page - 1) * limit
        window = rows[start : start + limit + 1]
        items = await self._with_profile([self._to_model(r) for r in window[:limit]], profile)
        return PageResult(
            items=items,
            total_count=len(rows) if checked.include_total else None,
            page=checked.page,
            limit=limit,
            has_next=len(window) > limit,
        )

    # Writes.

    def _insert(self, values: dict[str, Any]) -> dict[str, Any]:
        row = self._normalize({name: values.get(name) for name in self.info.columns})
        for name, column in self.info.columns.items():
            if name not in values and column.spec.server_default is not None:
                row[name] = server_default_value(self.info, name, column.spec.server_default)
        if row[self._pk] is None and self._generates_pk:
            row[self._pk] = self._next_id
        check_not_null(self.info, row)
        check_unique(self, row, None)
        check_references(self, row)
        key = row[self._pk]
        if isinstance(key, int):
            self._next_id = max(self._next_id, key + 1)
        self._rows[key] = row
        return row

    async def create(self, data: Any) -> OutputT:
        """Insert one row and return it as stored."""
        values = create_values(self.info, data)
        uow = self._writing()
        with self._db.atomic():
            row = self._insert(values)
        await self._emit(uow, [self._event("created", [row[self._pk]])])
        return self._to_model(row)

    async def create_many(self, items: Sequence[Any]) -> list[OutputT]:
        """Insert many rows, all or none, and return them as stored, in the given order."""
        if not items:
            return []
        values = [create_values(self.info, item) for item in items]
        uow = self._writing()
        with self._db.atomic():
            rows = [self._insert(v) for v in values]
        await self._emit(uow, [self._event("created", [row[self._pk] for row in rows])])
        return [self._to_model(row) for row in rows]

    def _apply(self, key: Any, changes: Mapping[str, Any]) -> dict[str, Any]:
        row = {**self._rows[key], **self._normalize(dict(changes))}
        check_not_null(self.info, row)
        check_unique(self, row, key)
        check_references(self, row)
        del self._rows[key]
        self._rows[row[self._pk]] = row
        return row

    async def update(self, obj_id: IdT, data: Any) -> OutputT | None:
        """Change only the fields present in ``data``; ``None`` when the row does not exist."""
        values = update_values(self.info, data)
        if not values:
            return await self.get_by_id(obj_id)
        key = self._key(obj_id)
        uow = self._writing()
        if key not in self._rows:
            return None
        with self._db.atomic():
            row = self._apply(key, values)
        await self._emit(uow, [self._event("updated", [row[self._pk]], values)])
        return self._to_model(row)

    async def delete(self, obj_id: IdT) -> bool:
        """Delete the row, applying its children's ``ON DELETE``; ``False`` if it did not exist."""
        key = self._key(obj_id)
        uow = self._writing()
        if key not in self._rows:
            return False
        with self._db.atomic():
            delete_row(self, key)
        await self._emit(uow, [self._event("deleted", [key]), *cascade_events(self)])
        return True

    async def upsert(self, data: Any, *, conflict_on: Sequence[str] | None = None) -> OutputT:
        """Insert, or update the row with the same ``conflict_on`` values."""
        keys = tuple(conflict_on or self.info.primary_key)
        for key in keys:
            check_field(self.info, key)
        check_conflict_keys(self.info, keys)
        values = create_values(self.info, data)
        missing = [k for k in keys if k not in values]
        if missing:
            raise QueryError(
                f"{self.info.name}.upsert: conflict key field(s) {', '.join(missing)} missing "
                "from the data; give them or choose other conflict_on fields"
            )
        wanted = self._normalize({k: values[k] for k in keys})
        existing = next(
            (
                key
                for key, row in self._rows.items()
                if all(wanted[k] is not None and row[k] == wanted[k] for k in keys)
            ),
            None,
        )
        changes = {n: v for n, v in values.items() if n not in (*_KEEP_ON_UPSERT, *keys)}
        uow = self._writing()
        if existing is not None and not changes:
            return self._to_model(self._rows[existing])
        with self._db.atomic():
            row = self._insert(values) if existing is None else self._apply(existing, changes)
        # The SQL repository reports an upsert as an update of the written fields either way.
        await self._emit(uow, [self._event("updated", [row[self._pk]], changes)])
        return self._to_model(row)
