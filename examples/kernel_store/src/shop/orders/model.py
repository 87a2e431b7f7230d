"""The order model."""

from __future__ import annotations

from loom.core.model import ColumnField, OnDelete, TimestampedModel


class Order(TimestampedModel):
    """Units of one product ordered by one user."""

    __tablename__ = "shop_orders"
    id: int = ColumnField(primary_key=True, autoincrement=True)
    user_id: int = ColumnField(foreign_key="shop_users.id", on_delete=OnDelete.CASCADE, index=True)
    product_id: int = ColumnField(foreign_key="shop_products.id", index=True)
    quantity: int = ColumnField()
    status: str = ColumnField(length=20)
    note: str | None = ColumnField(length=200, nullable=True)
