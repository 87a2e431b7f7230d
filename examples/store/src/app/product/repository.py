"""A custom product repository: CRUD use cases get it as their ``main_repo``."""

from __future__ import annotations

from typing import Any, Protocol

import msgspec

from app.product.model import Product
from loom.core.repository.abc import RepoFor
from loom.core.repository.sqlalchemy import RepositorySQLAlchemy, repository_for


class ProductRepo(RepoFor[Product], Protocol):
    """The product repository contract: standard CRUD plus a lookup by SKU."""

    async def get_by_sku(self, sku: str) -> Product | None:
        """The product with this SKU, or ``None``."""
        ...


@repository_for(Product, contract=ProductRepo)
class ProductRepository(RepositorySQLAlchemy[Product, int]):
    """Trims product names on create; adds ``get_by_sku``."""

    async def create(self, data: Any) -> Product:
        payload = data if isinstance(data, dict) else msgspec.to_builtins(data)
        payload["name"] = str(payload["name"]).strip()
        return await super().create(payload)

    async def get_by_sku(self, sku: str) -> Product | None:
        return await self.get_by("sku", sku)
