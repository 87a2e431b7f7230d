"""A dict-backed repository and lookup for use case tests (no I/O)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Generic, TypeVar

import msgspec

from loom.core.model import model_info
from loom.core.query import (
    CursorResult,
    FilterGroup,
    FilterParams,
    PageParams,
    PageResult,
    QuerySpec,
)
from loom.core.repository.abc import RepoFor

T = TypeVar("T", bound=msgspec.Struct)


class DictRepository(Generic[T]):
    """Rows by primary key; every call is recorded in ``calls``."""

    def __init__(self, model: type[T], rows: Iterable[T] = ()) -> None:
        self.model = model
        self.pk = model_info(model).pk
        self.rows: dict[Any, T] = {getattr(row, self.pk): row for row in rows}
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self.last_query: QuerySpec | None = None

    async def get_by_id(self, obj_id: Any, profile: str = "default") -> T | None:
        self.calls.append(("get_by_id", (obj_id, profile)))
        return self.rows.get(obj_id)

    async def get_by(self, field: str, value: Any, profile: str = "default") -> T | None:
        self.calls.append(("get_by", (field, value)))
        return next((r for r in self.rows.values() if getattr(r, field) == value), None)

    async def exists_by(self, field: str, value: Any) -> bool:
        self.calls.append(("exists_by", (field, value)))
        return any(getattr(r, field) == value for r in self.rows.values())

    async def create(self, data: Any) -> T:
        self.calls.append(("create", (data,)))
        values = dict(msgspec.to_builtins(data) if isinstance(data, msgspec.Struct) else data)
        values.setdefault(self.pk, len(self.rows) + 1)
        row = msgspec.convert(values, self.model)
        self.rows[getattr(row, self.pk)] = row
        return row

    async def create_many(self, items: Sequence[Any]) -> list[T]:
        return [await self.create(item) for item in items]

    async def update(self, obj_id: Any, data: Any) -> T | None:
        row = self.rows.get(obj_id)
        if row is None:
            return None
        changes = data.to_patch() if hasattr(data, "to_patch") else dict(data)
        self.rows[obj_id] = msgspec.structs.replace(row, **changes)
        return self.rows[obj_id]

    async def delete(self, obj_id: Any) -> bool:
        return self.rows.pop(obj_id, None) is not None

    async def list_paginated(
        self,
        page_params: PageParams,
        filter_params: FilterParams | None = None,
        profile: str = "default",
    ) -> PageResult[T]:
        items = list(self.rows.values())
        return PageResult(
            items=items,
            total_count=None,
            page=page_params.page,
            limit=page_params.limit,
            has_next=False,
        )

    async def list_with_query(
        self, query: QuerySpec, profile: str = "default"
    ) -> PageResult[T] | CursorResult[T]:
        self.last_query = query
        return PageResult(
            items=list(self.rows.values()),
            total_count=None,
            page=query.page,
            limit=query.limit,
            has_next=False,
        )

    async def count(self, filters: FilterGroup | Mapping[str, Any] | None = None) -> int:
        return len(self.rows)

    async def upsert(self, data: Any, *, conflict_on: Sequence[str] | None = None) -> T:
        return await self.create(data)


class Repositories:
    """A :class:`loom.core.use_case.RepositoryLookup` over dict repositories."""

    def __init__(self, *repos: DictRepository[Any]) -> None:
        self.by_model: dict[type[Any], DictRepository[Any]] = {r.model: r for r in repos}

    def for_model(self, model: type[Any]) -> RepoFor[Any]:
        return self.by_model[model]

    def calls(self) -> list[tuple[str, tuple[Any, ...]]]:
        return [call for repo in self.by_model.values() for call in repo.calls]
