"""A first look at Loom on SQLite: a model, its table, a committed and a rolled-back transaction.

Run with ``make demo``.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from loom.core.errors import ConflictError
from loom.core.model import ColumnField, TimestampedModel
from loom.core.repository.sqlalchemy import RepositorySQLAlchemy, SessionManager, new_base


class Product(TimestampedModel):
    """A product of the store."""

    __tablename__ = "products"
    id: int = ColumnField(primary_key=True, autoincrement=True)
    sku: str = ColumnField(length=64, unique=True, index=True)
    name: str = ColumnField(length=150)
    price_cents: int = ColumnField()
    stock: int = ColumnField(default=0)


async def main(database: Path) -> None:
    base = new_base()
    sm = SessionManager(f"sqlite+aiosqlite:///{database}")
    products: RepositorySQLAlchemy[Product, int] = RepositorySQLAlchemy(sm, Product, base=base)
    await sm.create_all(base)
    print(f"created table 'products' in {database.name}")

    async with sm.transaction():
        lamp = await products.create({"sku": "LAMP-1", "name": "Desk lamp", "price_cents": 2900})
        await products.create({"sku": "MUG-1", "name": "Mug", "price_cents": 900, "stock": 12})
    print(f"committed: {lamp.name} got id {lamp.id} at {lamp.created_at:%H:%M:%S} UTC")

    try:
        async with sm.transaction():
            await products.update(lamp.id, {"stock": 40})
            await products.create({"sku": "MUG-1", "name": "Another mug", "price_cents": 1})
    except ConflictError as error:
        print(f"rolled back: {error}")

    after = await products.get_by_id(lamp.id)
    assert after is not None
    print(f"after the rollback the lamp's stock is still {after.stock}")
    print(f"rows in the table: {await products.count()}")
    await sm.dispose()


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(main(Path(folder) / "demo.db"))
