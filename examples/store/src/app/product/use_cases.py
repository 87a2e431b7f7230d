"""Product use cases beyond CRUD: low stock, summaries, restock email jobs and workflow."""

from __future__ import annotations

from app.product.callbacks import RestockEmailFailureCallback, RestockEmailSuccessCallback
from app.product.commands import (
    DispatchRestockEmailCommand,
    DispatchRestockEmailResponse,
    ProductSummary,
    RestockWorkflowResponse,
)
from app.product.jobs import SendRestockEmailJob
from app.product.model import Product
from loom.core.errors import LoomError
from loom.core.job.service import JobService
from loom.core.query import (
    FilterGroup,
    FilterOp,
    FilterSpec,
    PageResult,
    PaginationMode,
    QuerySpec,
    SortSpec,
)
from loom.core.use_case import Input, LoadById
from loom.core.use_case.invoker import ApplicationInvoker
from loom.core.use_case.use_case import UseCase


class ListLowStockProductsUseCase(UseCase[Product, PageResult[Product]]):
    """Products with five or fewer in stock, fewest first."""

    read_only = True

    async def execute(self, profile: str = "default") -> PageResult[Product]:
        query = QuerySpec(
            filters=FilterGroup(filters=(FilterSpec(field="stock", op=FilterOp.LTE, value=5),)),
            sort=(
                SortSpec(field="stock", direction="ASC"),
                SortSpec(field="id", direction="ASC"),
            ),
            pagination=PaginationMode.OFFSET,
            limit=20,
            page=1,
        )
        result = await self.main_repo.list_with_query(query, profile=profile)
        if not isinstance(result, PageResult):
            raise LoomError("expected an offset page")
        return result


class BuildProductSummaryUseCase(UseCase[Product, ProductSummary]):
    """A one-line summary of a product's availability."""

    read_only = True

    async def execute(
        self, product_id: int, product: Product = LoadById(Product, by="product_id")
    ) -> ProductSummary:
        availability = "in stock" if product.stock > 0 else "out of stock"
        return ProductSummary(
            product_id=product.id,
            summary=f"{product.sku} ({product.name}) is {availability}.",
        )


class DispatchRestockEmailUseCase(UseCase[Product, DispatchRestockEmailResponse]):
    """Queue the restock email of a product; it is sent after this request commits."""

    def __init__(self, job_service: JobService) -> None:
        self._jobs = job_service

    async def execute(
        self,
        # Typed int (the reference converts a str with int()): a path that is not a number is
        # then a 422 naming product_id, not an exception.
        product_id: int,
        cmd: DispatchRestockEmailCommand = Input(),
    ) -> DispatchRestockEmailResponse:
        handle = self._jobs.dispatch(
            SendRestockEmailJob,
            params={"product_id": product_id},
            payload={
                "product_id": product_id,
                "recipient_email": cmd.recipient_email,
                "force_fail": cmd.force_fail,
            },
            on_success=RestockEmailSuccessCallback,
            on_failure=RestockEmailFailureCallback,
        )
        return DispatchRestockEmailResponse(job_id=handle.job_id, queue=handle.queue)


class RestockWorkflowUseCase(UseCase[Product, RestockWorkflowResponse]):
    """Summarize a product, then queue its restock email, in one transaction."""

    def __init__(self, app: ApplicationInvoker, job_service: JobService) -> None:
        self._app = app
        self._jobs = job_service

    async def execute(
        self,
        product_id: int,
        cmd: DispatchRestockEmailCommand = Input(),
    ) -> RestockWorkflowResponse:
        summary_result = await self._app.invoke(
            BuildProductSummaryUseCase,
            params={"product_id": product_id},
        )
        handle = self._jobs.dispatch(
            SendRestockEmailJob,
            params={"product_id": product_id},
            payload={"product_id": product_id, "recipient_email": cmd.recipient_email},
            on_success=RestockEmailSuccessCallback,
            on_failure=RestockEmailFailureCallback,
        )
        return RestockWorkflowResponse(
            summary=summary_result.summary,
            restock_job_id=handle.job_id,
            queue=handle.queue,
        )
