"""Product use cases beyond CRUD: low stock, summaries."""

from __future__ import annotations

from app.product.commands import ProductSummary
from app.product.model import Product
from loom.core.errors import LoomError
from loom.core.query import (
    FilterGroup,
    FilterOp,
    FilterSpec,
    PageResult,
    PaginationMode,
    QuerySpec,
    SortSpec,
)
from loom.core.use_case import LoadById
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
