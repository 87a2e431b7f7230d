"""Order routes, nested as the URLs read: placed under a product, listed under a user."""

from __future__ import annotations

from loom.rest.model import PaginationMode, RestInterface, RestRoute
from shop.orders.model import Order
from shop.orders.use_cases import (
    CancelOrderUseCase,
    GetOrderUseCase,
    ListUserOrdersUseCase,
    PlaceOrderUseCase,
    RemoveOrderUseCase,
    UpdateOrderUseCase,
)


class ProductOrderRestInterface(RestInterface[Order]):
    """``POST /products/{product_id}/orders``."""

    prefix = "/products"
    tags = ("Orders",)
    routes = (
        RestRoute(
            use_case=PlaceOrderUseCase,
            method="POST",
            path="/{product_id}/orders",
            summary="Place an order",
            status_code=201,
        ),
    )


class UserOrderRestInterface(RestInterface[Order]):
    """``GET /users/{user_id}/orders``: a cursor list with filters and a sort key."""

    prefix = "/users"
    tags = ("Orders",)
    pagination_mode = PaginationMode.CURSOR
    filterable = ("status", "product_id")
    sortable = ("quantity",)
    routes = (
        RestRoute(
            use_case=ListUserOrdersUseCase,
            method="GET",
            path="/{user_id}/orders",
            summary="List a user's orders",
        ),
    )


class OrderRestInterface(RestInterface[Order]):
    """``/orders/{order_id}``: read, change, cancel and remove one order."""

    prefix = "/orders"
    tags = ("Orders",)
    routes = (
        RestRoute(use_case=GetOrderUseCase, method="GET", path="/{order_id}"),
        RestRoute(use_case=UpdateOrderUseCase, method="PATCH", path="/{order_id}"),
        RestRoute(use_case=CancelOrderUseCase, method="POST", path="/{order_id}/cancel"),
        RestRoute(use_case=RemoveOrderUseCase, method="DELETE", path="/{order_id}"),
    )
