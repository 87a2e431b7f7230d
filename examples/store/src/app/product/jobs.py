"""Product jobs: the restock email, and a product summary for analytics."""

from __future__ import annotations

import logging

from app.product.commands import SendRestockEmailJobCommand
from app.product.model import Product
from loom.core.job.job import Job
from loom.core.use_case import Input, LoadById

logger = logging.getLogger("app.product")


class SendRestockEmailJob(Job[bool]):
    """Tell a customer a product is out of stock; ``True`` when an email was sent."""

    __queue__ = "notifications"

    async def execute(
        self,
        product_id: int,
        cmd: SendRestockEmailJobCommand = Input(),
        product: Product = LoadById(Product, by="product_id"),
    ) -> bool:
        if cmd.force_fail:
            raise RuntimeError("forced restock email failure")
        if product.stock > 0:
            return False
        # A real application sends the email here.
        logger.info("restock email about %s sent to %s", product.sku, cmd.recipient_email)
        return True


class BuildProductSummaryJob(Job[str]):
    """A one-line availability summary of a product."""

    __queue__ = "analytics"

    async def execute(
        self,
        product_id: int,
        product: Product = LoadById(Product, by="product_id"),
    ) -> str:
        availability = "in stock" if product.stock > 0 else "out of stock"
        return f"{product.sku} ({product.name}) is {availability}."
