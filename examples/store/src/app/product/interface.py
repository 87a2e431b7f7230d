"""The product API: auto-CRUD plus the low-stock list (job routes come with the jobs layer)."""

from __future__ import annotations

from app.product.model import Product
from app.product.use_cases import ListLowStockProductsUseCase
from loom.rest.autocrud import build_auto_routes
from loom.rest.model import PaginationMode, RestInterface, RestRoute


class ProductRestInterface(RestInterface[Product]):
    """``/products``: cursor pagination by default."""

    prefix = "/products"
    tags = ("Products",)
    pagination_mode = PaginationMode.CURSOR
    routes = (
        RestRoute(
            use_case=ListLowStockProductsUseCase,
            method="GET",
            path="/low-stock",
            summary="List low stock products",
        ),
        *build_auto_routes(Product, ()),
    )
