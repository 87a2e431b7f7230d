"""Commands and responses of the product use cases."""

from __future__ import annotations

import msgspec

from loom.core.command import Command


class DispatchRestockEmailCommand(Command, frozen=True):
    """Who to tell when a product is back in stock."""

    recipient_email: str
    force_fail: bool = False


class ProductSummary(msgspec.Struct, frozen=True, kw_only=True):
    """One line about a product."""

    product_id: int
    summary: str
