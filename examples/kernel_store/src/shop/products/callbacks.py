"""Callbacks of the restock job: they write back through the application, by type."""

from __future__ import annotations

from typing import Any

from loom.core.use_case.invoker import ApplicationInvoker
from shop.products.model import Product


class RestockSucceeded:
    """Stores the new stock the restock job computed."""

    def __init__(self, app: ApplicationInvoker) -> None:
        self._app = app

    async def on_success(self, job_id: str, result: Any, **context: Any) -> None:
        await self._app.entity(Product).update(
            params={"id": context["product_id"]}, payload={"stock": int(result)}
        )


class RestockFailed:
    """Marks the product's category when the supplier refused the restock."""

    def __init__(self, app: ApplicationInvoker) -> None:
        self._app = app

    async def on_failure(self, job_id: str, exc_type: str, exc_msg: str, **context: Any) -> None:
        entity = self._app.entity(Product)
        product = await entity.get(params={"id": context["product_id"]})
        if product is not None:
            await entity.update(
                params={"id": product.id},
                payload={"category": f"{product.category}-restock-failed:{exc_type}"},
            )
