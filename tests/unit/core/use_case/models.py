"""Models and commands of the documented example store, for use case tests.

The store's own models and commands are reused; the commands below exist only for these tests.
"""

from __future__ import annotations

from app.product.model import Product
from app.user.commands import CreateAddressRecord, CreateUserAddress, UpdateAddress
from app.user.model import Address, User
from loom.core.command import Command, Patch


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


__all__ = [
    "Address",
    "CreateAddressRecord",
    "CreateProduct",
    "CreateUserAddress",
    "Product",
    "Transfer",
    "UpdateAddress",
    "UpdateProduct",
    "User",
]
