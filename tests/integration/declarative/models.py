"""Models and repositories of the declarative query tests."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from uuid import UUID

import msgspec

from loom.core.model import BaseModel, ColumnField, OnDelete
from loom.core.query import PageResult
from loom.core.repository.sqlalchemy import RepositorySQLAlchemy, query


class Tier(enum.Enum):
    FREE = "free"
    PRO = "pro"


class Account(BaseModel):
    __tablename__ = "accounts"
    id: int = ColumnField(primary_key=True, autoincrement=True)
    username: str = ColumnField(length=50, unique=True)
    email: str = ColumnField(length=255)
    active: bool = True
    balance: Decimal = ColumnField(default=Decimal("0"))
    joined_at: datetime
    token: UUID
    tier: Tier = Tier.FREE


class Post(BaseModel):
    __tablename__ = "posts"
    id: int = ColumnField(primary_key=True, autoincrement=True)
    account_id: int = ColumnField(foreign_key="accounts.id", on_delete=OnDelete.CASCADE)
    title: str = ColumnField(length=100)
    published_at: datetime


class AccountSummary(msgspec.Struct):
    """A row type of its own: a few columns, named like the fields."""

    username: str
    joined_at: datetime
    active: bool


class AccountRepository(RepositorySQLAlchemy[Account, int]):
    # The bodies never run. mypy accepts `...` where the method may return None; elsewhere
    # `raise NotImplementedError` tells it the same.

    @query(expr="username = :username", unique=True)
    async def get_by_username(self, username: str) -> Account | None: ...

    @query(expr="email = :email", unique=True)
    async def get_by_email(self, email: str) -> Account | None: ...

    @query(expr="active = :active")
    async def list_by_active(self, active: bool) -> list[Account]:
        raise NotImplementedError

    @query(expr="joined_at >= :since")
    async def joined_since(self, since: datetime) -> list[Account]:
        raise NotImplementedError

    @query(expr="token = :token", unique=True)
    async def get_by_token(self, token: UUID) -> Account | None: ...

    @query(expr="balance > :amount AND tier = :tier")
    async def richer_than(self, amount: Decimal, tier: Tier) -> list[Account]:
        raise NotImplementedError

    @query(expr="id IN :ids")
    async def list_by_ids(self, ids: list[int]) -> list[Account]:
        raise NotImplementedError

    @query(expr="joined_at BETWEEN :start AND :end")
    async def joined_between(self, start: datetime, end: datetime) -> list[AccountSummary]:
        raise NotImplementedError

    @query(
        sql="SELECT username, joined_at, active FROM accounts "
        "WHERE joined_at >= :since ORDER BY username"
    )
    async def summaries_since(self, since: datetime) -> list[AccountSummary]:
        raise NotImplementedError

    @query(sql="SELECT * FROM accounts WHERE lower(username) = lower(:name)", unique=True)
    async def find_ignoring_case(self, name: str) -> Account | None: ...

    @query(sql="SELECT count(*) AS n FROM accounts WHERE active = :active", unique=True)
    async def count_by_active(self, active: bool) -> int:
        raise NotImplementedError

    @query(sql="SELECT max(joined_at) FROM accounts", unique=True)
    async def last_joined(self) -> datetime | None: ...

    @query(sql="SELECT sum(balance) FROM accounts WHERE active = :active", unique=True)
    async def total_balance(self, active: bool) -> Decimal | None: ...

    @query(sql="SELECT username FROM accounts ORDER BY username")
    async def usernames(self) -> list[str]:
        raise NotImplementedError

    @query(
        sql="SELECT DISTINCT a.username FROM accounts a JOIN posts p ON p.account_id = a.id "
        "WHERE p.published_at >= :since ORDER BY a.username"
    )
    async def authors_since(self, since: datetime) -> list[str]:
        raise NotImplementedError

    @query(expr="active = :active", paged=True)
    async def page_by_active(
        self, active: bool, page: int = 1, limit: int = 50, total: bool = False
    ) -> PageResult[Account]:
        raise NotImplementedError

    @query(sql="SELECT username, joined_at, active FROM accounts ORDER BY username", paged=True)
    async def page_summaries(
        self, page: int = 1, limit: int = 50, total: bool = False
    ) -> PageResult[AccountSummary]:
        raise NotImplementedError

    @query(sql="SELECT username FROM accounts ORDER BY username DESC;", paged=True)
    async def page_usernames(self, page: int = 1, limit: int = 50) -> PageResult[str]:
        raise NotImplementedError

    @query(
        sql="UPDATE accounts SET active = :active WHERE username = :username RETURNING *",
        unique=True,
    )
    async def set_active_read_only(self, username: str, active: bool) -> Account | None: ...

    @query(
        sql="UPDATE accounts SET active = :active WHERE username = :username RETURNING *",
        unique=True,
        read_only=False,
    )
    async def set_active(self, username: str, active: bool) -> Account | None: ...

    @query(
        sql="UPDATE accounts SET username = :new WHERE username = :old RETURNING id",
        unique=True,
        read_only=False,
    )
    async def rename(self, old: str, new: str) -> int | None: ...

    @query(sql="SELECT username AS name, joined_at FROM accounts ORDER BY id")
    async def mismatched_rows(self) -> list[AccountSummary]:
        raise NotImplementedError
