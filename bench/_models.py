"""The benchmark's model (reference 003's ``Product``), its inputs, and the baseline's table.

The baseline table is written by hand with plain SQLAlchemy types, as a service without Loom
would declare it; it names the same physical table Loom creates, so both sides read and write
the same rows.
"""

from __future__ import annotations

import msgspec
import sqlalchemy as sa

from loom.core.model import ColumnField, TimestampedModel

TABLE_NAME = "products"


class Product(TimestampedModel):
    """A product, as reference 003 declares it; both sides return instances of it."""

    __tablename__ = TABLE_NAME
    id: int = ColumnField(primary_key=True, autoincrement=True)
    sku: str = ColumnField(length=64, unique=True, index=True)
    name: str = ColumnField(length=150)
    category: str = ColumnField(length=120, index=True)
    price_cents: int = ColumnField()
    stock: int = ColumnField()


class CreateProduct(msgspec.Struct, frozen=True, kw_only=True):
    """The body of a create request, as msgspec would decode it (input of both sides)."""

    sku: str
    name: str
    category: str
    price_cents: int
    stock: int


class UpdateProduct(msgspec.Struct, frozen=True, kw_only=True):
    """A partial update: only the fields that were sent are set."""

    price_cents: int | msgspec.UnsetType = msgspec.UNSET
    stock: int | msgspec.UnsetType = msgspec.UNSET


def baseline_table() -> sa.Table:
    """The products table declared by hand in its own ``MetaData`` (never created from here)."""
    return sa.Table(
        TABLE_NAME,
        sa.MetaData(),
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("sku", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.String(150), nullable=False),
        sa.Column("category", sa.String(120), nullable=False, index=True),
        sa.Column("price_cents", sa.BigInteger, nullable=False),
        sa.Column("stock", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
