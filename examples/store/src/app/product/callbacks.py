"""Callbacks of the restock email job; they call back into the application by type."""

from __future__ import annotations

import logging
from typing import Any

from app.product.model import Product
from loom.core.use_case.invoker import ApplicationInvoker

logger = logging.getLogger("app.product")


class RestockEmailSuccessCallback:
    """Marks the product's category once its restock email went out."""

    def __init__(self, app: ApplicationInvoker) -> None:
        self._app = app

    async def on_success(self, job_id: str, result: Any, **context: Any) -> None:
        if not bool(result):
            return
        product_id = context.get("product_id")
        entity = self._app.entity(Product)
        product = await entity.get(params={"id": product_id})
        if product:
            await entity.update(
                params={"id": product_id},
                payload={"category": f"{product.category}-restock-notified"},
            )


class RestockEmailFailureCallback:
    """Marks the product's category when its restock email could not be sent."""

    def __init__(self, app: ApplicationInvoker) -> None:
        self._app = app

    async def on_failure(self, job_id: str, error: Any, **context: Any) -> None:
        product_id = context.get("product_id")
        logger.warning("restock email job %s for product %s failed: %s", job_id, product_id, error)
        entity = self._app.entity(Product)
        product = await entity.get(params={"id": product_id})
        if product:
            await entity.update(
                params={"id": product_id},
                payload={"category": f"{product.category}-restock-failed"},
            )
