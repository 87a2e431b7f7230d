"""A dict-backed repository and models for cache tests (no database).

Writes record ``MutationEvent``s like the SQLAlchemy repository does; :func:`commit` delivers
them to the cache the way the post-commit channel does after a successful commit.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import msgspec

from loom.core.cache import BoundedMemoryCache, cache_query, cached
from loom.core.events import MutationEvent, SupportsPostCommit
from loom.core.model import BaseModel, ColumnField, Projection, RelationField
from loom.core.query import (
    CursorResult,
    FilterGroup,
    FilterParams,
    PageParams,
    PageResult,
    PaginationMode,
    QuerySpec,
)


class FlakyMemoryCache(BoundedMemoryCache):
    """A memory backend whose connection can be 'lost'."""

    broken = False

    def _check(self) -> None:
        if self.broken:
            raise ConnectionError("connection refused")

    def get_many_now(self, keys: Any) -> list[Any]:
        self._check()
        return super().get_many_now(keys)

    def set_now(self, key: str, value: Any, ttl: float | None = None) -> None:
        self._check()
        super().set_now(key, value, ttl)

    def incr_now(self, key: str, delta: int = 1) -> int:
        self._check()
        return super().incr_now(key, delta)


class Product(BaseModel):
    __tablename__ = "products"
    id: int = ColumnField(primary_key=True)
    name: str
    price: int = 0


class Review(BaseModel):
    __tablename__ = "reviews"
    id: int = ColumnField(primary_key=True)
    product_id: int
    stars: int = 5


class ProductWithReviews(BaseModel):
    __tablename__ = "products"
    id: int = ColumnField(primary_key=True)
    name: str
    price: int = 0
    reviews: list[Review] = RelationField(
        Review, foreign_key="product_id", many=True, profiles=("with_reviews",)
    )
    # Projection is a field marker the model metaclass replaces; typed as the field's value.
    review_count: int = Projection(loader=None, profiles=("with_count",), depends_on=("reviews",))


@cached
class FakeRepository:
    """Rows in a dict; counts calls; optionally blocks reads on a gate."""

    def __init__(self, model: type[Any] = Product, rows: Iterable[Any] = ()) -> None:
        self.model = model
        self.rows: dict[int, Any] = {row.id: row for row in rows}
        self.calls: Counter[str] = Counter()
        self.pending: list[MutationEvent] = []
        self.gate: asyncio.Event | None = None

    def _copy(self, row: Any) -> Any:
        return None if row is None else msgspec.structs.replace(row)

    async def _enter(self, name: str) -> None:
        self.calls[name] += 1
        if self.gate is not None:
            await self.gate.wait()

    async def get_by_id(self, obj_id: Any, profile: str = "default") -> Any:
        await self._enter("get_by_id")
        return self._copy(self.rows.get(obj_id))

    async def get_by(self, field: str, value: Any, profile: str = "default") -> Any:
        await self._enter("get_by")
        return next((self._copy(r) for r in self.rows.values() if getattr(r, field) == value), None)

    async def exists_by(self, field: str, value: Any) -> bool:
        await self._enter("exists_by")
        return any(getattr(r, field) == value for r in self.rows.values())

    def _matching(self, filters: Mapping[str, Any]) -> list[Any]:
        rows = sorted(self.rows.values(), key=lambda r: r.id)
        return [self._copy(r) for r in rows if all(getattr(r, k) == v for k, v in filters.items())]

    async def list_paginated(
        self,
        page_params: PageParams,
        filter_params: FilterParams | None = None,
        profile: str = "default",
    ) -> PageResult[Any]:
        await self._enter("list_paginated")
        rows = self._matching(filter_params.filters if filter_params else {})
        start = (page_params.page - 1) * page_params.limit
        items = rows[start : start + page_params.limit]
        return PageResult(
            items=items,
            total_count=len(rows),
            page=page_params.page,
            limit=page_params.limit,
            has_next=start + page_params.limit < len(rows),
        )

    async def list_with_query(
        self, query: QuerySpec, profile: str = "default"
    ) -> PageResult[Any] | CursorResult[Any]:
        await self._enter("list_with_query")
        rows = self._matching({})
        if query.pagination == PaginationMode.CURSOR:
            after = int(query.cursor or 0)
            items = [r for r in rows if r.id > after][: query.limit]
            more = bool(items) and items[-1].id < rows[-1].id
            return CursorResult(
                items=items, next_cursor=str(items[-1].id) if more else None, has_next=more
            )
        items = rows[(query.page - 1) * query.limit : query.page * query.limit]
        return PageResult(
            items=items, total_count=None, page=query.page, limit=query.limit, has_next=False
        )

    async def count(self, filters: FilterGroup | Mapping[str, Any] | None = None) -> int:
        await self._enter("count")
        return len(self.rows)

    def _record(self, op: Any, *ids: Any, entity: str | None = None) -> None:
        self.pending.append(MutationEvent(entity or "products", op, ids))

    async def create(self, data: Any) -> Any:
        await self._enter("create")
        self.rows[data.id] = data
        self._record("created", data.id)
        return self._copy(data)

    async def create_many(self, items: Sequence[Any]) -> list[Any]:
        return [await self.create(item) for item in items]

    async def update(self, obj_id: Any, data: Mapping[str, Any]) -> Any:
        await self._enter("update")
        row = self.rows.get(obj_id)
        if row is None:
            return None
        row = msgspec.structs.replace(row, **data)
        self.rows[obj_id] = row
        self._record("updated", obj_id)
        return self._copy(row)

    async def upsert(self, data: Any, *, conflict_on: Sequence[str] | None = None) -> Any:
        await self._enter("upsert")
        self.rows[data.id] = data
        self._record("updated", data.id)
        return self._copy(data)

    async def delete(self, obj_id: Any) -> bool:
        await self._enter("delete")
        if self.rows.pop(obj_id, None) is None:
            return False
        self._record("deleted", obj_id)
        return True

    @cache_query(scope="list")
    async def cheap(self, max_price: int) -> list[Product]:
        await self._enter("cheap")
        return [r for r in self._matching({}) if r.price <= max_price]

    async def most_expensive(self) -> Product | None:
        await self._enter("most_expensive")
        rows = self._matching({})
        return max(rows, key=lambda r: r.price) if rows else None


async def commit(repo: FakeRepository, hook: SupportsPostCommit) -> None:
    """Deliver the repository's recorded writes, as the post-commit channel does."""
    events, repo.pending = tuple(repo.pending), []
    await hook.on_transaction_committed(events)


def rollback(repo: FakeRepository) -> None:
    """Drop the recorded writes, as a rollback does (the rows stay changed in the fake, which
    is what an uncommitted change looks like to a reader inside the transaction)."""
    repo.pending.clear()


async def until(predicate: Any, limit: int = 200_000) -> None:
    """Yield to the event loop until ``predicate()`` holds (no timed sleeps)."""
    for _ in range(limit):
        if predicate():
            return
        await asyncio.sleep(0)
    raise AssertionError("condition not reached")


async def name_of(repo: Any, obj_id: int, profile: str = "default") -> str:
    """The ``name`` of a row read through ``repo`` (which must find it)."""
    row = await repo.get_by_id(obj_id, profile)
    assert row is not None, f"row {obj_id} not found"
    return str(row.name)
