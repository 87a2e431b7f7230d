"""Fixtures: a session manager on the test database with the test models' tables."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from loom.core.repository.sqlalchemy import SessionManager, new_base, registry_for
from tests.conftest import Database
from tests.integration.sqlalchemy.models import Address, Everything, User


@pytest.fixture
def base() -> type[Any]:
    """A fresh declarative base with the test models compiled into it."""
    fresh = new_base()
    registry_for(fresh).compile_all([User, Address, Everything])
    return fresh


@pytest.fixture
async def sm(db: Database, base: type[Any]) -> AsyncIterator[SessionManager]:
    """A session manager on the test database, tables created."""
    manager = SessionManager(db.url, connect_args=db.connect_args, pool_size=5)
    await manager.create_all(base)
    try:
        yield manager
    finally:
        await manager.dispose()


@pytest.fixture
async def pg_sm(postgres_db: Database, base: type[Any]) -> AsyncIterator[SessionManager]:
    """A session manager on PostgreSQL only (for tests needing concurrent writers)."""
    manager = SessionManager(postgres_db.url, connect_args=postgres_db.connect_args)
    await manager.create_all(base)
    try:
        yield manager
    finally:
        await manager.dispose()
