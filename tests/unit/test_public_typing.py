"""Public generics keep their types for users' type checkers (mypy checks these lines)."""

from __future__ import annotations

from typing import assert_type

from loom.core.model import ColumnField, TimestampedModel
from loom.core.query import CursorResult, PageResult, QuerySpec
from loom.core.repository.abc import RepoFor
from loom.core.repository.sqlalchemy import RepositorySQLAlchemy, SessionManager
from loom.core.use_case.use_case import UseCase
from loom.testing import InMemoryRepository


class Gadget(TimestampedModel):
    __tablename__ = "gadgets"
    id: int = ColumnField(primary_key=True, autoincrement=True)
    name: str = ColumnField(length=40)


async def typed_repository_calls(repo: RepositorySQLAlchemy[Gadget, int]) -> None:
    assert_type(await repo.get_by_id(1), Gadget | None)
    assert_type(await repo.create({"name": "x"}), Gadget)
    assert_type(await repo.create_many([{"name": "x"}]), list[Gadget])
    assert_type(await repo.update(1, {"name": "y"}), Gadget | None)
    assert_type(await repo.delete(1), bool)
    assert_type(await repo.list_with_query(QuerySpec()), PageResult[Gadget] | CursorResult[Gadget])


async def typed_memory_calls(repo: InMemoryRepository[Gadget, int]) -> None:
    assert_type(await repo.get_by_id(1), Gadget | None)


class ShowGadget(UseCase[Gadget, Gadget]):
    async def execute(self, gadget_id: int) -> Gadget:
        assert_type(self.main_repo, RepoFor[Gadget])
        found = await self.main_repo.get_by_id(gadget_id)
        assert found is not None
        return found


def test_the_repositories_satisfy_the_protocol() -> None:
    manager = SessionManager("sqlite+aiosqlite:///:memory:")
    sql: RepoFor[Gadget] = RepositorySQLAlchemy(manager, Gadget)
    memory: RepoFor[Gadget] = InMemoryRepository(Gadget)
    assert isinstance(sql, RepoFor)
    assert isinstance(memory, RepoFor)
