"""Business rules of orders, in loom-kernel's conventions: ``(cmd, fields_set, *params)``."""

from __future__ import annotations

from loom.core.use_case import F, Rule
from shop.orders.commands import PlaceOrder, UpdateOrder
from shop.products.model import Product


def positive_quantity(quantity: int | None) -> str | None:
    """A quantity is a positive number of units."""
    if quantity is None or quantity <= 0:
        return "must be a positive number of units"
    return None


def exceeds_stock(cmd: PlaceOrder, fields_set: frozenset[str], product: Product) -> bool:
    """More units ordered than the product has in stock."""
    return cmd.quantity > product.stock


def changes_nothing(cmd: UpdateOrder, fields_set: frozenset[str]) -> bool:
    """An update that sends no field."""
    return not fields_set


PLACE_ORDER_RULES = (
    Rule.check(F(PlaceOrder).quantity, via=positive_quantity),
    Rule.forbid(exceeds_stock, message="not enough units in stock").from_params("product"),
)

UPDATE_ORDER_RULES = (
    Rule.check(F(UpdateOrder).quantity, via=positive_quantity).when_present(
        F(UpdateOrder).quantity
    ),
    Rule.forbid(changes_nothing, message="send at least one field to change"),
)
