"""Commands of the order use cases."""

from __future__ import annotations

from loom.core.command import Command, Patch


class PlaceOrder(Command, frozen=True):
    """A user orders units of the product in the path."""

    user_id: int
    quantity: int
    note: str | None = None


class UpdateOrder(Command, frozen=True):
    """Change the quantity or the note of an order; fields not sent stay as they are."""

    quantity: Patch[int] = None
    note: Patch[str] = None


class OrderRecord(Command, frozen=True):
    """The row a placed order writes."""

    user_id: int
    product_id: int
    quantity: int
    status: str
    note: str | None = None


class SetOrderStatus(Command, frozen=True):
    """The status an order moves to."""

    status: str
