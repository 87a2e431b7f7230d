"""Writes made through the ORM session (``@with_session_scope``, ``SessionManager.session()``)
invalidate the cache like the repositories' own writes, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from loom.core.cache import CachedRepository
from loom.core.query import PageParams
from loom.core.repository.sqlalchemy import (
    RepositorySQLAlchemy,
    SessionManager,
    compile_model,
    with_session_scope,
)
from tests.integration.cache.sql import Gauge, cached_repository, counting_statements
from tests.integration.cache.stacks import memory_config


class GaugeRepository(RepositorySQLAlchemy[Gauge, int]):
    """ORM and SQL work through the session of the current transaction."""

    @property
    def record(self) -> Any:
        return compile_model(Gauge, self.session_manager.base).mapped

    @with_session_scope
    async def set_by_orm(self, gauge_id: int, value: int, *, session: AsyncSession) -> None:
        row = await session.get(self.record, gauge_id)
        assert row is not None
        row.value = value

    @with_session_scope
    async def add_by_orm(self, gauge_id: int, value: int, *, session: AsyncSession) -> None:
        session.add(self.record(id=gauge_id, value=value))

    @with_session_scope
    async def remove_by_orm(self, gauge_id: int, *, session: AsyncSession) -> None:
        row = await session.get(self.record, gauge_id)
        await session.delete(row)

    @with_session_scope
    async def set_all(self, value: int, *, session: AsyncSession) -> None:
        await session.execute(sa.update(self.record).values(value=value))

    @with_session_scope
    async def set_by_sql(self, gauge_id: int, value: int, *, session: AsyncSession) -> None:
        await session.execute(
            sa.text("UPDATE cache_gauges SET value = :value WHERE id = :id"),
            {"value": value, "id": gauge_id},
        )


@pytest.fixture
async def gauges(sm: SessionManager) -> AsyncIterator[CachedRepository[Gauge, Any, Any, int]]:
    cached, (data, _) = cached_repository(sm, memory_config(), GaugeRepository(sm))
    await cached.create_many([Gauge(id=1, value=1), Gauge(id=2, value=2)])
    yield cached
    await data.close()


async def _cached_value(sm: SessionManager, gauges: Any, gauge_id: int) -> int | None:
    """Read twice; the second read must be a hit (no SQL) and agree with the first."""
    first = await gauges.get_by_id(gauge_id)
    with counting_statements(sm) as statements:
        second = await gauges.get_by_id(gauge_id)
    assert statements == []
    assert second == first
    return None if first is None else int(first.value)


async def _ids(gauges: Any) -> list[int]:
    return [g.id for g in (await gauges.list_paginated(PageParams(limit=10))).items]


async def test_an_orm_update_through_the_session_invalidates(
    sm: SessionManager, gauges: Any
) -> None:
    assert await _cached_value(sm, gauges, 1) == 1
    await gauges.set_by_orm(1, 10)
    assert await _cached_value(sm, gauges, 1) == 10
    assert await _cached_value(sm, gauges, 2) == 2


async def test_an_orm_insert_and_delete_through_the_session_invalidate(
    sm: SessionManager, gauges: Any
) -> None:
    assert await _ids(gauges) == [1, 2]
    assert await _cached_value(sm, gauges, 3) is None
    await gauges.add_by_orm(3, 30)
    assert await _ids(gauges) == [1, 2, 3]
    assert await _cached_value(sm, gauges, 3) == 30
    await gauges.remove_by_orm(1)
    assert await _cached_value(sm, gauges, 1) is None
    assert await _ids(gauges) == [2, 3]


async def test_statements_through_the_session_invalidate(sm: SessionManager, gauges: Any) -> None:
    assert await _cached_value(sm, gauges, 1) == 1
    assert await _cached_value(sm, gauges, 2) == 2
    await gauges.set_all(7)  # an UPDATE statement: every value of the entity
    assert await _cached_value(sm, gauges, 1) == 7
    assert await _cached_value(sm, gauges, 2) == 7
    await gauges.set_by_sql(2, 8)  # textual SQL naming the table
    assert await _cached_value(sm, gauges, 2) == 8


async def test_a_rolled_back_session_write_is_not_served_and_a_committed_one_is(
    sm: SessionManager, gauges: Any
) -> None:
    assert await _cached_value(sm, gauges, 1) == 1
    with pytest.raises(LookupError):
        async with sm.transaction():
            await gauges.set_by_orm(1, 5)
            raise LookupError("roll back")
    assert await _cached_value(sm, gauges, 1) == 1
    async with sm.transaction():
        await gauges.set_by_orm(1, 6)
        await gauges.set_by_orm(2, 6)
    assert await _cached_value(sm, gauges, 1) == 6
    assert await _cached_value(sm, gauges, 2) == 6


async def test_a_standalone_session_delivers_what_it_committed(
    sm: SessionManager, gauges: Any
) -> None:
    record = compile_model(Gauge, sm.base).mapped
    assert await _cached_value(sm, gauges, 1) == 1
    assert await _cached_value(sm, gauges, 2) == 2
    async with sm.session() as session:
        row = await session.get(record, 1)
        assert row is not None
        row.value = 11
        await session.commit()
        other = await session.get(record, 2)
        assert other is not None
        other.value = 22
        await session.rollback()  # never committed: nothing to invalidate, nothing changed
    assert await _cached_value(sm, gauges, 1) == 11
    assert await _cached_value(sm, gauges, 2) == 2
