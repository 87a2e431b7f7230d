"""The restock job: asks the supplier for more units of a product."""

from __future__ import annotations

from loom.core.job.job import Job
from loom.core.use_case import Input, LoadById
from shop.products.commands import RestockJobPayload
from shop.products.model import Product

SUPPLIER_LIMIT = 500
"""The supplier refuses larger orders: a restock above it fails."""


class RestockProductJob(Job[int]):
    """Returns the stock the product will have once the supplier delivers."""

    __queue__ = "default"

    async def execute(
        self,
        product_id: int,
        cmd: RestockJobPayload = Input(),
        product: Product = LoadById(Product, by="product_id"),
    ) -> int:
        if cmd.quantity > SUPPLIER_LIMIT:
            raise RuntimeError(f"the supplier refuses orders above {SUPPLIER_LIMIT} units")
        return product.stock + cmd.quantity
