"""The product repository: CRUD, plus a cached query of the products running low."""

from __future__ import annotations

from loom.core.cache import cache_query, cached
from loom.core.repository import repository_for
from loom.core.repository.abc.query import (
    FilterGroup,
    FilterOp,
    FilterSpec,
    PaginationMode,
    QuerySpec,
    SortSpec,
)
from loom.core.repository.sqlalchemy import RepositorySQLAlchemy
from shop.products.model import Product


@cached
@repository_for(Product)
class ProductRepository(RepositorySQLAlchemy[Product, int]):
    """Every use case of ``Product`` gets this repository as its ``main_repo``."""

    @cache_query(scope="list")
    async def list_low_stock(self, threshold: int) -> list[Product]:
        """Products with ``threshold`` or fewer in stock, fewest first (cached until a write)."""
        query = QuerySpec(
            filters=FilterGroup(
                filters=(FilterSpec(field="stock", op=FilterOp.LTE, value=threshold),)
            ),
            sort=(SortSpec(field="stock", direction="ASC"), SortSpec(field="id", direction="ASC")),
            pagination=PaginationMode.OFFSET,
            limit=100,
            page=1,
        )
        page = await self.list_with_query(query)
        return list(page.items)
