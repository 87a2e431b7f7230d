"""Models shared by the SQLAlchemy adapter tests."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

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
    city: str = ColumnField(length=120)


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


class Everything(BaseModel):
    """One field of each supported type."""

    __tablename__ = "everything"
    id: int = ColumnField(primary_key=True, autoincrement=True)
    name: str = ColumnField(length=50)
    note: str | None = None
    flag: bool = False
    ratio: float = 0.0
    price: Decimal = ColumnField(default=Decimal("0"))
    at: datetime | None = None
    day: date | None = None
    token: UUID | None = None
    blob: bytes | None = None
    color: Color = Color.RED
    tags: list[str] = ColumnField(default_factory=list)
    extra: dict[str, Any] = ColumnField(default_factory=dict)
