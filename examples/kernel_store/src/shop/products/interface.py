"""``/products``: auto-CRUD with cursor pages, the low-stock list and the restock request."""

from __future__ import annotations

from loom.rest.autocrud import build_auto_routes
from loom.rest.model import PaginationMode, RestInterface, RestRoute
from shop.products.model import Product
from shop.products.use_cases import ListLowStockProductsUseCase, RequestRestockUseCase


class ProductRestInterface(RestInterface[Product]):
    """Products; list pages are cursor pages unless the client asks for offset ones."""

    prefix = "/products"
    tags = ("Products",)
    pagination_mode = PaginationMode.CURSOR
    filterable = ("category", "price_cents", "stock", "name")
    sortable = ("price_cents", "stock", "name")
    routes = (
        RestRoute(
            use_case=ListLowStockProductsUseCase,
            method="GET",
            path="/low-stock",
            summary="List products running low",
        ),
        RestRoute(
            use_case=RequestRestockUseCase,
            method="POST",
            path="/{product_id}/restock",
            summary="Order more units from the supplier",
            status_code=202,
        ),
        *build_auto_routes(Product, ()),
    )
