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


class SendRestockEmailJobCommand(Command, frozen=True):
    """The body of a restock email job."""

    product_id: int
    recipient_email: str
    force_fail: bool = False


class DispatchRestockEmailResponse(msgspec.Struct, frozen=True, kw_only=True):
    """Where the restock email job went."""

    job_id: str
    queue: str


class RestockWorkflowResponse(msgspec.Struct, frozen=True, kw_only=True):
    """The product summary, and the restock email job dispatched after it."""

    summary: str
    restock_job_id: str
    queue: str
