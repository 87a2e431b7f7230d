"""Table-level declarations of a model: indexes over several fields, partial indexes, CHECKs.

A model lists them in ``__table_args__``, the name SQLAlchemy users know; the adapter compiles
them with the table (and Alembic's autogenerate sees them). Imports only the standard library.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, init=False)
class Index:
    """An index over one or more fields, optionally unique or partial.

    Args:
        *fields: The indexed fields, in order.
        name: The index name (default ``ix_<table>_<field>_<field>...``).
        unique: A unique index: no two rows share the values (only among the rows ``where``
            selects, for a partial index).
        where: SQL condition of a partial index (``"deleted_at IS NULL"``): only matching rows
            are indexed. PostgreSQL and SQLite both support it.

    Example:
        >>> class Product(BaseModel):
        ...     __table_args__ = (Index("category", "price_cents"),)
    """

    fields: tuple[str, ...]
    name: str | None
    unique: bool
    where: str | None

    def __init__(
        self, *fields: str, name: str | None = None, unique: bool = False, where: str | None = None
    ) -> None:
        object.__setattr__(self, "fields", fields)
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "unique", unique)
        object.__setattr__(self, "where", where)


@dataclass(frozen=True, slots=True)
class Check:
    """A CHECK constraint over the row.

    Attributes:
        expression: The SQL condition every row satisfies (``"stock >= 0"``).
        name: Short name; the constraint is called ``ck_<table>_<name>``, so that a migration
            can find it again to change or drop it.

    Example:
        >>> class Product(BaseModel):
        ...     __table_args__ = (Check("price_cents > 0", name="positive_price"),)
    """

    expression: str
    name: str
