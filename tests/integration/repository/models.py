"""Models of the repository contract suite: users, their addresses (CASCADE), orders (RESTRICT)."""

from __future__ import annotations

from msgspec import UnsetType

from loom.core.model import (
    BaseModel,
    ColumnField,
    OnDelete,
    Projection,
    RelationField,
    TimestampedModel,
)
from loom.core.repository.sqlalchemy import CountLoader, SumLoader


class User(TimestampedModel):
    __tablename__ = "users"
    id: int = ColumnField(primary_key=True, autoincrement=True)
    full_name: str = ColumnField(length=120)
    email: str = ColumnField(length=255, unique=True)
    nickname: str | None = ColumnField(length=60, nullable=True)
    score: int | None = None
    addresses: list[Address] | UnsetType = RelationField(
        "Address", foreign_key="user_id", many=True, profiles=("with_addresses", "full")
    )
    # Projection is not a declared field specifier: its defaults need the ignores below.
    address_count: int | UnsetType = Projection(
        loader=CountLoader("Address", foreign_key="user_id"),
        profiles=("counted", "full"),
        depends_on=("addresses",),
        default=0,
    )
    order_total: int | UnsetType | None = Projection(
        loader=SumLoader("Order", field="total", foreign_key="user_id"),
        profiles=("full",),
        depends_on=("orders",),
    )


class Address(BaseModel):
    __tablename__ = "addresses"
    id: int = ColumnField(primary_key=True, autoincrement=True)
    user_id: int = ColumnField(foreign_key="users.id", on_delete=OnDelete.CASCADE, index=True)
    city: str = ColumnField(length=120)
    user: User | UnsetType | None = RelationField(
        User, foreign_key="user_id", profiles=("with_user",)
    )


class Order(BaseModel):
    __tablename__ = "orders"
    id: int = ColumnField(primary_key=True, autoincrement=True)
    user_id: int = ColumnField(foreign_key="users.id", on_delete=OnDelete.RESTRICT, index=True)
    total: int
