"""Product use cases beyond CRUD: the low-stock list and the restock request."""

from __future__ import annotations

from loom.core.errors import NotFound
from loom.core.job.service import JobService
from loom.core.use_case import Exists, F, Input, Rule
from loom.core.use_case.use_case import UseCase
from shop.products.callbacks import RestockFailed, RestockSucceeded
from shop.products.commands import RequestRestock, RestockQueued
from shop.products.jobs import RestockProductJob
from shop.products.model import Product
from shop.products.repository import ProductRepository

LOW_STOCK = 5


def _positive(quantity: int) -> str | None:
    return None if quantity > 0 else "must be a positive number of units"


class ListLowStockProductsUseCase(UseCase[Product, list[Product]]):
    """Products with five or fewer in stock, fewest first."""

    read_only = True

    async def execute(self) -> list[Product]:
        repository: ProductRepository = self.main_repo  # type: ignore[assignment]
        return await repository.list_low_stock(LOW_STOCK)


class RequestRestockUseCase(UseCase[Product, RestockQueued]):
    """Queue a restock of one product; the job runs once this request has committed."""

    rules = (Rule.check(F(RequestRestock).quantity, via=_positive),)

    def __init__(self, job_service: JobService) -> None:
        self._jobs = job_service

    async def execute(
        self,
        product_id: int,
        cmd: RequestRestock = Input(),
        product_exists: bool = Exists(Product, from_param="product_id", against="id"),
    ) -> RestockQueued:
        if not product_exists:
            raise NotFound("Product", id=product_id)
        handle = self._jobs.dispatch(
            RestockProductJob,
            params={"product_id": product_id},
            payload={"product_id": product_id, "quantity": cmd.quantity},
            on_success=RestockSucceeded,
            on_failure=RestockFailed,
        )
        return RestockQueued(job_id=handle.job_id, queue=handle.queue)
