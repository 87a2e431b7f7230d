"""In-memory SQLite: one connection, handed to one transaction at a time."""

from __future__ import annotations

import asyncio

from loom.core.model import BaseModel, ColumnField
from loom.core.repository.sqlalchemy import RepositorySQLAlchemy, SessionManager, new_base


class Tally(BaseModel):
    __tablename__ = "tallies"
    id: int = ColumnField(primary_key=True, autoincrement=True)
    n: int = 0


async def test_concurrent_transactions_take_turns_on_the_one_connection() -> None:
    manager = SessionManager("sqlite+aiosqlite:///:memory:", pool_size=10)
    base = new_base()
    tallies: RepositorySQLAlchemy[Tally, int] = RepositorySQLAlchemy(manager, Tally, base=base)
    await manager.create_all(base)

    async def two_writes(n: int) -> None:
        async with manager.transaction():
            await tallies.create({"n": n})
            await asyncio.sleep(0)  # another task would run here on a shared connection
            await tallies.create({"n": n})

    try:
        await asyncio.gather(*(two_writes(n) for n in range(20)))
        assert await tallies.count() == 40
        async with manager.engine.connect() as conn:
            await conn.exec_driver_sql("SELECT 1")
        assert manager.engine.pool.size() == 1  # type: ignore[attr-defined]
    finally:
        await manager.dispose()
