"""Models of the REST unit tests."""

from __future__ import annotations

from datetime import datetime

from loom.core.model import ColumnField, TimestampedModel


class Item(TimestampedModel):
    """An item with a private column and a nullable one."""

    __tablename__ = "items"
    id: int = ColumnField(primary_key=True, autoincrement=True)
    name: str = ColumnField(length=50)
    price: int = ColumnField()
    note: str | None = ColumnField(nullable=True)
    secret: str = ColumnField(private=True, default="s")
    seen_at: datetime | None = ColumnField(nullable=True)
