"""Models in loom-kernel 9's idioms compile and behave on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from loom.core.errors import ConflictError, LoomError
from loom.core.model import (
    declared_checks,
    declared_partial_unique,
    declared_unique,
    get_column_fields,
    get_id_attribute,
    get_relations,
    get_table_name,
)
from loom.core.repository.sqlalchemy import (
    RepositorySQLAlchemy,
    SessionManager,
    new_base,
    registry_for,
)
from loom.core.repository.sqlalchemy._types import PortableDecimal
from tests.conftest import Database
from tests.integration.repository.kernel_models import Item, Shelf

pytestmark = pytest.mark.integration


@pytest.fixture
async def repos(db: Database) -> AsyncIterator[tuple[Any, Any, SessionManager, Any]]:
    base = new_base()
    registry_for(base).compile_all([Shelf, Item])
    manager = SessionManager(db.url, connect_args=db.connect_args, pool_size=2)
    try:
        await manager.create_all(base)
        shelves: RepositorySQLAlchemy[Shelf, int] = RepositorySQLAlchemy(manager, Shelf, base=base)
        items: RepositorySQLAlchemy[Item, int] = RepositorySQLAlchemy(manager, Item, base=base)
        yield shelves, items, manager, base
    finally:
        await manager.dispose()


def test_the_lookups_answer_from_the_model() -> None:
    assert get_table_name(Shelf) == "kshelves"
    assert get_id_attribute(Item) == "id"
    assert get_column_fields(Item)["price"].python_type is Decimal
    assert set(get_relations(Shelf)) == {"items"}
    assert (
        get_relations(Shelf)["items"].target is Item
        or get_relations(Shelf)["items"].target == "Item"
    )
    assert get_relations(Shelf)["items"].many is True
    assert get_relations(Item)["shelf"].many is False
    assert declared_unique(Shelf) == (("aisle", "position"),)
    assert declared_checks(Shelf) == {"position_positive": "position > 0"}
    assert [p.rule for p in declared_partial_unique(Item)] == ["live_sku"]


def test_declared_column_types_reach_the_table() -> None:
    base = new_base()
    registry_for(base).compile_all([Shelf, Item])
    shelf = base.metadata.tables["kshelves"]
    item = base.metadata.tables["kitems"]

    assert isinstance(shelf.c.aisle.type, sa.String)
    assert shelf.c.aisle.type.length == 8
    assert isinstance(shelf.c.label.type, sa.String)
    assert shelf.c.label.type.length == 40
    assert isinstance(item.c.note.type, sa.Text)
    price = item.c.price.type
    assert isinstance(price, PortableDecimal)
    assert (price.impl_instance.precision, price.impl_instance.scale) == (10, 2)  # type: ignore[attr-defined]  # a Numeric


async def test_rows_round_trip_with_generated_values(repos: Any) -> None:
    shelves, items, _, _ = repos
    shelf = await shelves.create({"aisle": "A", "position": 1, "label": "Tools"})

    assert isinstance(shelf.token, uuid.UUID)
    item = await items.create({"shelf_id": shelf.id, "sku": "S-1", "price": Decimal("9.99")})
    assert item.price == Decimal("9.99")
    assert shelf.touched_at is None
    updated = await shelves.update(shelf.id, {"label": "Hand tools"})
    assert updated is not None
    assert updated.touched_at is not None
    loaded = await shelves.get_by_id(shelf.id, profile="with_items")
    assert loaded is not None
    assert [i.sku for i in loaded.items] == ["S-1"]


async def test_table_rules_are_enforced(repos: Any) -> None:
    shelves, items, _, _ = repos
    shelf = await shelves.create({"aisle": "A", "position": 1, "label": "Tools"})

    with pytest.raises(ConflictError):
        await shelves.create({"aisle": "A", "position": 1, "label": "Twice"})
    with pytest.raises(LoomError):
        await shelves.create({"aisle": "B", "position": 0, "label": "Zero"})
    await items.create({"shelf_id": shelf.id, "sku": "S-1", "price": 1, "retired": True})
    await items.create({"shelf_id": shelf.id, "sku": "S-1", "price": 1})
    with pytest.raises(ConflictError):
        await items.create({"shelf_id": shelf.id, "sku": "S-1", "price": 2})
    assert await shelves.count() == 1
