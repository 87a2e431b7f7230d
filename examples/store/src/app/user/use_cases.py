"""Address use cases, scoped to their user."""

from __future__ import annotations

from app.user.commands import CreateAddressRecord, CreateUserAddress, UpdateAddress
from app.user.model import Address, User
from loom.core.errors import NotFoundError
from loom.core.query import (
    CursorResult,
    FilterGroup,
    FilterOp,
    FilterSpec,
    PageResult,
    QuerySpec,
)
from loom.core.use_case import Exists, Input, OnMissing
from loom.core.use_case.use_case import UseCase


class CreateAddressUseCase(UseCase[Address, Address]):
    """Add an address to an existing user."""

    async def execute(
        self,
        user_id: int,
        cmd: CreateUserAddress = Input(),
        _user_exists: bool = Exists(
            User, from_param="user_id", against="id", on_missing=OnMissing.RAISE
        ),
    ) -> Address:
        payload = CreateAddressRecord(user_id=user_id, **cmd.__dict__)
        return await self.main_repo.create(payload)


class ListAddressesUseCase(UseCase[Address, PageResult[Address] | CursorResult[Address]]):
    """List one user's addresses; the ownership filter is part of the query."""

    read_only = True

    async def execute(
        self,
        user_id: int,
        query: QuerySpec,
        profile: str = "default",
    ) -> PageResult[Address] | CursorResult[Address]:
        owned = FilterSpec(field="user_id", op=FilterOp.EQ, value=user_id)
        given = query.filters
        scoped_query = QuerySpec(
            filters=FilterGroup(filters=(owned,), groups=(given,) if given else ()),
            sort=query.sort,
            pagination=query.pagination,
            limit=query.limit,
            page=query.page,
            cursor=query.cursor,
            include_total=query.include_total,
        )
        return await self.main_repo.list_with_query(scoped_query, profile=profile)


async def _owned(repo: object, user_id: int, address_id: int) -> Address:
    address: Address | None = await repo.get_by_id(address_id)  # type: ignore[attr-defined]
    if address is None or address.user_id != user_id:
        raise NotFoundError(f"Address {address_id} of user {user_id} not found")
    return address


class GetAddressUseCase(UseCase[Address, Address]):
    """One address of one user."""

    read_only = True

    async def execute(self, user_id: int, address_id: int) -> Address:
        return await _owned(self.main_repo, user_id, address_id)


class UpdateAddressUseCase(UseCase[Address, Address]):
    """Change the fields sent; fields not sent stay as they are."""

    async def execute(self, user_id: int, address_id: int, cmd: UpdateAddress = Input()) -> Address:
        await _owned(self.main_repo, user_id, address_id)
        updated = await self.main_repo.update(address_id, cmd)
        assert updated is not None
        return updated


class DeleteAddressUseCase(UseCase[Address, None]):
    """Delete one address of one user."""

    async def execute(self, user_id: int, address_id: int) -> None:
        await _owned(self.main_repo, user_id, address_id)
        await self.main_repo.delete(address_id)
