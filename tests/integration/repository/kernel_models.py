"""Models declared as loom-kernel 9 declares them: column types, Annotated fields, table rules."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, ClassVar

from msgspec import UnsetType

from loom.core.model import (
    BaseModel,
    Cardinality,
    ColumnField,
    Field,
    Integer,
    Numeric,
    OnDelete,
    RelationField,
    ServerDefault,
    ServerOnUpdate,
    String,
    Text,
    TimestampedModel,
    Uuid,
)


class Shelf(TimestampedModel):
    __tablename__ = "kshelves"
    __unique__ = (("aisle", "position"),)
    __indexes__ = (("label",),)
    __checks__: ClassVar[dict[str, str]] = {"position_positive": "position > 0"}

    id: int = ColumnField(Integer, primary_key=True, autoincrement=True)
    aisle: str = ColumnField(String(8))
    position: int = ColumnField()
    label: Annotated[str, String(40), Field(index=False)]
    token: uuid.UUID = ColumnField(Uuid, server_default=ServerDefault.UUID4)
    touched_at: datetime | None = ColumnField(server_onupdate=ServerOnUpdate.NOW, nullable=True)
    items: list[Item] | UnsetType = RelationField(
        foreign_key="shelf_id", cardinality=Cardinality.ONE_TO_MANY, profiles=("with_items",)
    )


class Item(BaseModel):
    __tablename__ = "kitems"
    __partial_unique__: ClassVar[dict[str, tuple[tuple[str, ...], str]]] = {
        "live_sku": (("sku",), "retired = false")
    }

    id: int = ColumnField(primary_key=True, autoincrement=True)
    shelf_id: int = ColumnField(foreign_key="kshelves.id", on_delete=OnDelete.CASCADE)
    sku: str = ColumnField(String(20))
    note: str | None = ColumnField(Text, nullable=True)
    price: Decimal = ColumnField(Numeric(precision=10, scale=2))
    retired: bool = False
    shelf: Shelf | UnsetType | None = RelationField(
        foreign_key="shelf_id", cardinality=Cardinality.MANY_TO_ONE, profiles=("with_shelf",)
    )
