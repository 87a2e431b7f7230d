"""Commands and responses of the product use cases."""

from __future__ import annotations

import msgspec

from loom.core.command import Command


class RequestRestock(Command, frozen=True):
    """How many units to order from the supplier."""

    quantity: int


class RestockJobPayload(Command, frozen=True):
    """The body of a restock job."""

    product_id: int
    quantity: int


class RestockQueued(msgspec.Struct, frozen=True, kw_only=True):
    """Where the restock job went."""

    job_id: str
    queue: str
