"""A hand-built table for the query compiler, on SQLite and PostgreSQL (the ``db`` fixture)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from loom.core.model import BaseModel, ColumnField, ModelInfo, model_info
from loom.core.query import CursorCodec, CursorResult, PageResult, QuerySpec
from loom.core.repository.sqlalchemy._query import ListPlan, build_list
from tests.conftest import Database


class Item(BaseModel):
    __tablename__ = "items"
    name: str
    id: int = ColumnField(primary_key=True, autoincrement=False)
    score: int | None = None
    label: str | None = None
    active: bool = True
    created_at: datetime | None = None
    code: UUID | None = None


INFO: ModelInfo = model_info(Item)


def item_table() -> sa.Table:
    """The table of :class:`Item`, as the model compiler would build it."""
    return sa.Table(
        "items",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("score", sa.Integer, nullable=True),
        sa.Column("label", sa.Text, nullable=True),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("code", sa.Uuid, nullable=True),
    )


@dataclass
class Harness:
    """Runs list queries the way the repository does: one statement per call."""

    engine: AsyncEngine
    table: sa.Table
    codec: CursorCodec
    statements: list[str] = field(default_factory=list)

    async def insert(self, rows: Sequence[dict[str, Any]]) -> None:
        full = [{**_DEFAULTS, **row} for row in rows]
        if full:
            async with self.engine.begin() as conn:
                await conn.execute(self.table.insert(), full)

    async def execute(self, stmt: sa.Executable) -> list[sa.Row[Any]]:
        async with self.engine.connect() as conn:
            return list((await conn.execute(stmt)).all())

    async def plan_rows(self, plan: ListPlan) -> list[sa.Row[Any]]:
        return await self.execute(plan.statement)

    async def run(self, query: QuerySpec, **kwargs: Any) -> PageResult[int] | CursorResult[int]:
        plan = build_list(self.table, INFO, query, codec=self.codec, **kwargs)
        rows = await self.plan_rows(plan)
        return plan.finish(rows, lambda row: int(row.id))

    async def ids(self, stmt: sa.Select[Any]) -> list[int]:
        return [int(row.id) for row in await self.execute(stmt)]


_DEFAULTS: dict[str, Any] = {
    "name": "n",
    "score": None,
    "label": None,
    "active": True,
    "created_at": None,
    "code": None,
}


@pytest.fixture
async def harness(db: Database) -> AsyncIterator[Harness]:
    """An engine on ``db`` with the items table created; disposed after the test."""
    engine = create_async_engine(db.url, connect_args=db.connect_args)
    table = item_table()
    async with engine.begin() as conn:
        await conn.run_sync(table.metadata.create_all)
    h = Harness(engine=engine, table=table, codec=CursorCodec(b"test-secret-0123456789abcdef"))

    def count(*args: Any) -> None:
        statement = args[2]
        h.statements.append(statement)

    sa.event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        yield h
    finally:
        await engine.dispose()
