"""Order use cases: place, read, list a user's orders, change, cancel and remove."""

from __future__ import annotations

from loom.core.errors import Conflict, NotFound
from loom.core.repository.abc.query import (
    CursorResult,
    FilterGroup,
    FilterOp,
    FilterSpec,
    PageResult,
    QuerySpec,
)
from loom.core.use_case import Exists, Input, LoadById
from loom.core.use_case.use_case import UseCase
from shop.orders.commands import OrderRecord, PlaceOrder, SetOrderStatus, UpdateOrder
from shop.orders.model import Order
from shop.orders.rules import PLACE_ORDER_RULES, UPDATE_ORDER_RULES
from shop.products.model import Product
from shop.users.model import User

PLACED = "placed"
CANCELLED = "cancelled"


class PlaceOrderUseCase(UseCase[Order, Order]):
    """Order units of a product for a user."""

    rules = PLACE_ORDER_RULES

    async def execute(
        self,
        product_id: int,
        cmd: PlaceOrder = Input(),
        product: Product = LoadById(Product, by="product_id"),
        user_exists: bool = Exists(User, from_command="user_id", against="id"),
    ) -> Order:
        if not user_exists:
            raise NotFound("User", id=cmd.user_id)
        record = OrderRecord(
            user_id=cmd.user_id,
            product_id=product.id,
            quantity=cmd.quantity,
            status=PLACED,
            note=cmd.note,
        )
        return await self.main_repo.create(record)


class GetOrderUseCase(UseCase[Order, Order]):
    """One order."""

    read_only = True

    async def execute(self, order_id: int, order: Order = LoadById(Order, by="order_id")) -> Order:
        return order


class ListUserOrdersUseCase(UseCase[Order, PageResult[Order] | CursorResult[Order]]):
    """A user's orders, with the client's filters, sort and pagination."""

    read_only = True

    async def execute(
        self,
        user_id: int,
        query: QuerySpec,
        user_exists: bool = Exists(User, from_param="user_id", against="id"),
    ) -> PageResult[Order] | CursorResult[Order]:
        if not user_exists:
            raise NotFound("User", id=user_id)
        own = FilterSpec(field="user_id", op=FilterOp.EQ, value=user_id)
        extra = query.filters.filters if query.filters is not None else ()
        scoped = QuerySpec(
            filters=FilterGroup(filters=(own, *extra)),
            sort=query.sort,
            pagination=query.pagination,
            limit=query.limit,
            page=query.page,
            cursor=query.cursor,
        )
        return await self.main_repo.list_with_query(scoped)


class UpdateOrderUseCase(UseCase[Order, Order]):
    """Change the quantity or the note of an order that is not cancelled."""

    rules = UPDATE_ORDER_RULES

    async def execute(
        self,
        order_id: int,
        cmd: UpdateOrder = Input(),
        order: Order = LoadById(Order, by="order_id"),
    ) -> Order:
        if order.status == CANCELLED:
            raise Conflict(f"order {order_id} is cancelled and can no longer change")
        updated = await self.main_repo.update(order_id, cmd)
        if updated is None:
            raise NotFound("Order", id=order_id)
        return updated


class CancelOrderUseCase(UseCase[Order, Order]):
    """Cancel an order; cancelling it twice is a conflict."""

    async def execute(self, order_id: int, order: Order = LoadById(Order, by="order_id")) -> Order:
        if order.status == CANCELLED:
            raise Conflict(f"order {order_id} is already cancelled")
        updated = await self.main_repo.update(order_id, SetOrderStatus(status=CANCELLED))
        if updated is None:
            raise NotFound("Order", id=order_id)
        return updated


class RemoveOrderUseCase(UseCase[Order, None]):
    """Delete an order."""

    async def execute(self, order_id: int) -> None:
        if not await self.main_repo.delete(order_id):
            raise NotFound("Order", id=order_id)
