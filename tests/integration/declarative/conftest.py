"""Fixtures: the accounts table on the test database and its repository, with rows."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from loom.core.repository.sqlalchemy import SessionManager, new_base, registry_for
from tests.conftest import Database
from tests.integration.declarative.models import Account, AccountRepository, Post, Tier

START = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def base() -> type[Any]:
    fresh = new_base()
    registry_for(fresh).compile_all([Account, Post])
    return fresh


@pytest.fixture
async def sm(db: Database, base: type[Any]) -> AsyncIterator[SessionManager]:
    manager = SessionManager(db.url, connect_args=db.connect_args, pool_size=5)
    await manager.create_all(base)
    try:
        yield manager
    finally:
        await manager.dispose()


@pytest.fixture
def accounts(sm: SessionManager, base: type[Any]) -> AccountRepository:
    return AccountRepository(sm, base=base)


def account(n: int, **overrides: Any) -> dict[str, Any]:
    """Row ``n``: joined ``n`` days after START, balance ``n * 10.5``, even rows inactive."""
    values: dict[str, Any] = {
        "username": f"user{n}",
        "email": f"user{n}@example.com",
        "active": n % 2 == 1,
        "balance": Decimal(n) * Decimal("10.5"),
        "joined_at": START + timedelta(days=n),
        "token": UUID(int=n),
        "tier": Tier.PRO if n >= 3 else Tier.FREE,
    }
    values.update(overrides)
    return values


@pytest.fixture
async def five(accounts: AccountRepository) -> list[Account]:
    """Accounts user1..user5 (user1, user3, user5 active)."""
    return await accounts.create_many([account(n) for n in range(1, 6)])
