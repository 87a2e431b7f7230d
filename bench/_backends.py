"""Where a benchmark runs: a fresh SQLite file or a private PostgreSQL schema, seeded.

Everything the run creates is removed on exit: the SQLite file lives in a temporary folder,
and the PostgreSQL schema (``loom_bench_<random>``, so two runs never share one) is dropped
with everything in it.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from bench._models import Product, baseline_table
from loom.core.repository.sqlalchemy import (
    RepositorySQLAlchemy,
    SessionManager,
    new_base,
    registry_for,
)

DEFAULT_PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
CATEGORIES = 10

# The pool SessionManager builds by default, given to the baseline's engine too, so both sides
# check out connections the same way (pre-ping included: it is a round trip per checkout on
# PostgreSQL, on both sides).
_POOL_OPTIONS: dict[str, Any] = {
    "pool_size": 10,
    "max_overflow": 20,
    "pool_timeout": 30,
    "pool_recycle": 1800,
}


def pg_url() -> str:
    """The PostgreSQL URL: ``LOOM_BENCH_PG_URL`` or the local test database."""
    return os.environ.get("LOOM_BENCH_PG_URL", DEFAULT_PG_URL)


def category(index: int) -> str:
    """The name of the ``index``-th category of the seed."""
    return f"cat-{index % CATEGORIES:02d}"


@dataclass(frozen=True, slots=True)
class Backend:
    """One database, with a Loom repository and a baseline engine on it.

    Attributes:
        name: ``sqlite`` or ``postgresql``.
        repo: Loom's repository, on a ``SessionManager`` in its default configuration.
        engine: The baseline's engine, a separate pool configured like Loom's.
        table: The baseline's hand-written table.
        seeded: Rows seeded, with ids ``1..seeded``; rows above are removed after writes.
    """

    name: str
    repo: RepositorySQLAlchemy[Product, int]
    engine: AsyncEngine
    table: sa.Table
    seeded: int

    async def remove_created(self) -> None:
        """Delete the rows created after the seed (untimed, between runs)."""
        async with self.engine.begin() as conn:
            await conn.execute(sa.delete(self.table).where(self.table.c.id > self.seeded))


async def _seed(engine: AsyncEngine, table: sa.Table, rows: int) -> None:
    now = datetime.now(UTC)
    values = [
        {
            "id": i,
            "sku": f"seed-{i:06d}",
            "name": f"Product {i}",
            "category": category(i),
            # Prices repeat within a category, so keyset pages really need the id tiebreaker.
            "price_cents": (i * 7919) % 997,
            "stock": i % 50,
            "created_at": now,
            "updated_at": now,
        }
        for i in range(1, rows + 1)
    ]
    async with engine.begin() as conn:
        await conn.execute(sa.insert(table), values)
        if engine.dialect.name == "postgresql":
            # Explicit ids do not advance the sequence; later inserts must start after them.
            await conn.execute(
                sa.text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), {rows})")
            )


@contextlib.asynccontextmanager
async def _location(name: str) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    """Yield the URL and connect args of a fresh, empty database; remove it afterwards."""
    if name == "sqlite":
        with tempfile.TemporaryDirectory(prefix="loom-bench-") as folder:
            yield f"sqlite+aiosqlite:///{os.path.join(folder, 'bench.db')}", {}
        return
    url = pg_url()
    schema = f"loom_bench_{secrets.token_hex(4)}"
    admin = create_async_engine(url, poolclass=NullPool)
    try:
        async with admin.begin() as conn:
            await conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        try:
            yield url, {"server_settings": {"search_path": schema}}
        finally:
            async with admin.begin() as conn:
                await conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    finally:
        await admin.dispose()


@contextlib.asynccontextmanager
async def open_backend(name: str, *, seed: int) -> AsyncIterator[Backend]:
    """Create the products table on a fresh database, seed it, and yield both sides' handles.

    Args:
        name: ``sqlite`` or ``postgresql``.
        seed: How many rows to seed.
    """
    async with _location(name) as (url, connect_args):
        base = new_base()
        registry_for(base).compile_all([Product])
        manager = SessionManager(url, connect_args=connect_args)
        options = dict(_POOL_OPTIONS, pool_pre_ping=name == "postgresql")
        engine = create_async_engine(url, connect_args=connect_args, **options)
        try:
            await manager.create_all(base)
            table = baseline_table()
            await _seed(engine, table, seed)
            repo: RepositorySQLAlchemy[Product, int] = RepositorySQLAlchemy(
                manager, Product, base=base
            )
            yield Backend(name=name, repo=repo, engine=engine, table=table, seeded=seed)
        finally:
            await engine.dispose()
            await manager.dispose()
