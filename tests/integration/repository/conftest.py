"""``repo_factory``: the same repository contract on memory, SQLite and PostgreSQL.

``repo_factory(Model)`` returns the repository of a model on the backend of the test run (one
per model; the in-memory ones are linked to each other, as tables of one database are).
``sql_factory`` is the same on SQLite and PostgreSQL only, with ``.sm`` for statement counts.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, TypeVar, cast

import pytest

from loom.core.repository.abc import RepoFor
from loom.core.repository.sqlalchemy import (
    RepositorySQLAlchemy,
    SessionManager,
    new_base,
    registry_for,
)
from loom.testing import InMemoryRepository
from tests.conftest import Database, _postgres_schema
from tests.integration.repository.models import Address, Order, User
from tests.integration.sqlalchemy.models import Everything

T = TypeVar("T")

MODELS: tuple[type[Any], ...] = (User, Address, Order, Everything)


class RepoFactory:
    """Repositories of the contract models on one backend."""

    def __init__(self, kind: str, sm: SessionManager | None = None) -> None:
        self.kind = kind
        self._sm = sm
        self._base = new_base()
        registry_for(self._base).compile_all(MODELS)
        self._repos: dict[type[Any], Any] = {}

    @property
    def sm(self) -> SessionManager:
        """The session manager (SQL backends only)."""
        assert self._sm is not None, "the in-memory backend has no session manager"
        return self._sm

    def __call__(self, model: type[T]) -> RepoFor[T]:
        repo = self._repos.get(model)
        if repo is None:
            if self._sm is None:
                repo = InMemoryRepository(model, relations=list(self._repos.values()))
            else:
                repo = RepositorySQLAlchemy(self._sm, model, base=self._base)
            self._repos[model] = repo
        return cast(RepoFor[T], repo)

    async def create_tables(self) -> None:
        await self.sm.create_all(self._base)


@contextlib.asynccontextmanager
async def _database(kind: str, tmp_path: Path) -> AsyncIterator[Database]:
    if kind == "sqlite":
        yield Database(kind="sqlite", url=f"sqlite+aiosqlite:///{tmp_path / 'test.db'}")
    else:
        async with _postgres_schema() as database:
            yield database


@contextlib.asynccontextmanager
async def _factory(kind: str, tmp_path: Path) -> AsyncIterator[RepoFactory]:
    if kind == "memory":
        yield RepoFactory("memory")
        return
    async with _database(kind, tmp_path) as database:
        sm = SessionManager(database.url, connect_args=database.connect_args, pool_size=5)
        factory = RepoFactory(kind, sm)
        try:
            await factory.create_tables()
            yield factory
        finally:
            await sm.dispose()


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
async def repo_factory(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[RepoFactory]:
    """Repositories on memory, on a SQLite file and in a private PostgreSQL schema."""
    async with _factory(request.param, tmp_path) as factory:
        yield factory


@pytest.fixture(params=["sqlite", "postgresql"])
async def sql_factory(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[RepoFactory]:
    """Repositories on a SQLite file and in a private PostgreSQL schema (statement counts)."""
    async with _factory(request.param, tmp_path) as factory:
        yield factory


def new_user(n: int | str, **extra: Any) -> dict[str, Any]:
    """A valid create payload for a user."""
    return {"full_name": f"User {n}", "email": f"u{n}@example.com", **extra}
