"""Models and commands of the documented example store, for use case tests."""

from __future__ import annotations

import msgspec

from loom.core.command import Command, Patch
from loom.core.model import BaseModel, ColumnField, OnDelete, TimestampedModel


class User(TimestampedModel):
    __tablename__ = "users"
    id: int = ColumnField(primary_key=True, autoincrement=True)
    full_name: str = ColumnField(length=120)
    email: str = ColumnField(length=255, unique=True, index=True)


class Address(BaseModel):
    __tablename__ = "addresses"
    id: int = ColumnField(primary_key=True, autoincrement=True)
    user_id: int = ColumnField(foreign_key="users.id", on_delete=OnDelete.CASCADE, index=True)
    label: str = ColumnField(length=80)
    street: str = ColumnField(length=255)
    city: str = ColumnField(length=120)
    country: str = ColumnField(length=120)
    zip_code: str = ColumnField(length=20)


class Product(TimestampedModel):
    __tablename__ = "products"
    id: int = ColumnField(primary_key=True, autoincrement=True)
    sku: str = ColumnField(length=64, unique=True, index=True)
    name: str = ColumnField(length=150)
    category: str = ColumnField(length=120, index=True)
    price_cents: int = ColumnField()
    stock: int = ColumnField()


class CreateUserAddress(Command, frozen=True):
    label: str
    street: str
    city: str
    country: str
    zip_code: str


class UpdateAddress(Command, frozen=True):
    label: Patch[str] = None
    street: Patch[str] = None
    city: Patch[str] = None
    country: Patch[str] = None
    zip_code: Patch[str] = None


class CreateAddressRecord(msgspec.Struct, kw_only=True):
    user_id: int
    label: str
    street: str
    city: str
    country: str
    zip_code: str


class UpdateProduct(Command, frozen=True):
    name: Patch[str] = None
    price_cents: Patch[int] = None
    stock: Patch[int] = None


class CreateProduct(Command, frozen=True):
    sku: str
    name: str
    category: str
    price_cents: int
    stock: int


class Transfer(Command, frozen=True):
    product_id: int | None
    quantity: int


def a_user(user_id: int = 1) -> User:
    from datetime import UTC, datetime

    now = datetime(2024, 1, 1, tzinfo=UTC)
    return User(
        id=user_id,
        full_name="Ada",
        email=f"ada{user_id}@example.com",
        created_at=now,
        updated_at=now,
    )


def a_product(product_id: int = 42, stock: int = 0) -> Product:
    from datetime import UTC, datetime

    now = datetime(2024, 1, 1, tzinfo=UTC)
    return Product(
        id=product_id,
        sku=f"SKU-{product_id}",
        name="Lamp",
        category="home",
        price_cents=1999,
        stock=stock,
        created_at=now,
        updated_at=now,
    )
