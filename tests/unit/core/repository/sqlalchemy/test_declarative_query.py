"""``@query`` declarations that cannot work fail when the class is created, naming the fix."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import TYPE_CHECKING, assert_type

import msgspec
import pytest

from loom.core.errors import ConfigError, QueryError
from loom.core.model import BaseModel, ColumnField
from loom.core.query import PageResult
from loom.core.repository.sqlalchemy import (
    DeclarativeQuery,
    RepositorySQLAlchemy,
    SessionManager,
    new_base,
    query,
)


class Member(BaseModel):
    __tablename__ = "members"
    id: int = ColumnField(primary_key=True, autoincrement=True)
    username: str = ColumnField(length=50)
    joined_at: datetime


class Badge(msgspec.Struct):
    username: str


if TYPE_CHECKING:
    # Only the type checker sees this name: at run time the annotation never resolves.
    Later = Badge


class MemberRepository(RepositorySQLAlchemy[Member, int]):
    @query(expr="username = :username", unique=True)
    async def get_by_username(self, username: str) -> Member | None: ...

    @query(sql="SELECT username FROM members WHERE joined_at >= :since", paged=True)
    async def badges(self, since: datetime, page: int = 1, limit: int = 50) -> PageResult[Badge]:
        raise NotImplementedError

    @query(expr="id = :id", unique=True)
    async def get_later(self, id: int) -> Later | None: ...


@pytest.fixture
async def members() -> AsyncIterator[MemberRepository]:
    # Creating the engine opens no connection; these tests fail before any SQL would run.
    manager = SessionManager("sqlite+aiosqlite:///:memory:")
    try:
        yield MemberRepository(manager, base=new_base())
    finally:
        await manager.dispose()


def test_the_decorated_method_keeps_its_name_and_signature() -> None:
    method = MemberRepository.__dict__["get_by_username"]
    assert isinstance(method, DeclarativeQuery)
    assert method.__name__ == "get_by_username"
    assert method.placeholders == ("username",)
    assert method.parameters == ("username",)
    assert list(method.signature.parameters) == ["self", "username"]
    assert method.shape.kind == "one"


def test_expr_and_sql_exclude_each_other() -> None:
    with pytest.raises(ConfigError, match=r"Repo\.both: give exactly one of expr=.*got both"):

        class Repo(MemberRepository):
            @query(expr="id = :id", sql="SELECT 1", unique=True)
            async def both(self, id: int) -> Member | None: ...

    with pytest.raises(ConfigError, match="got neither"):

        class Other(MemberRepository):
            @query(unique=True)
            async def neither(self) -> Member | None: ...


def test_a_placeholder_without_parameter_names_method_placeholder_and_parameters() -> None:
    with pytest.raises(ConfigError) as caught:

        class Repo(MemberRepository):
            @query(expr="username = :usernme AND id > :after", unique=True)
            async def find(self, username: str, after: int) -> Member | None: ...

    message = str(caught.value)
    assert "Repo.find" in message
    assert ":usernme" in message
    assert "parameters: username, after" in message


def test_an_unused_parameter_is_an_error() -> None:
    with pytest.raises(ConfigError, match=r"parameter 'after' is not used.*:username"):

        class Repo(MemberRepository):
            @query(expr="username = :username", unique=True)
            async def find(self, username: str, after: int) -> Member | None: ...


def test_casts_and_escaped_colons_are_not_placeholders() -> None:
    class Repo(MemberRepository):
        @query(
            sql=r"SELECT CAST(:day AS date) AS d, username::text AS u, '10\:30' AS t",
            unique=True,
        )
        async def cast(self, day: str) -> Badge | None: ...

    assert Repo.__dict__["cast"].placeholders == ("day",)


def test_a_postgres_cast_right_after_a_placeholder_says_to_use_cast() -> None:
    with pytest.raises(ConfigError, match=r"write CAST\(:day AS date\) instead"):

        class Repo(MemberRepository):
            @query(sql="SELECT :day::date AS d", unique=True)
            async def cast(self, day: str) -> Badge | None: ...


def test_star_parameters_cannot_bind() -> None:
    with pytest.raises(ConfigError, match=r"\*\*filters cannot bind"):

        class Repo(MemberRepository):
            @query(expr="username = :username", unique=True)
            async def find(self, username: str, **filters: str) -> Member | None: ...


def test_the_method_must_be_async() -> None:
    with pytest.raises(ConfigError, match="needs an async method"):

        class Repo(MemberRepository):
            @query(expr="id = :id", unique=True)  # type: ignore[type-var]  # the point of it
            def find(self, id: int) -> Member | None: ...


@pytest.mark.parametrize(
    ("flags", "annotation", "message"),
    [
        ({}, "Member | None", "single value; add unique=True"),
        ({"unique": True}, "list[Member]", "unique=True returns one item"),
        ({"paged": True}, "list[Member]", "paged=True but the return type"),
        ({}, "PageResult[Member]", r"paged=False .* add paged=True"),
        ({"unique": True, "paged": True}, "Member | None", "exclude each other"),
        ({}, "list[int]", "expr= selects the model's rows"),
        ({}, "list[object]", "cannot build results of type"),
    ],
)
def test_the_return_annotation_must_fit_unique_and_paged(
    flags: dict[str, bool], annotation: str, message: str
) -> None:
    paging = ", page: int = 1, limit: int = 50" if flags.get("paged") else ""
    namespace: dict[str, object] = {}
    source = (
        f"async def find(self, id: int{paging}) -> {annotation}: ...\n"
        f"decorated = query(expr='id > :id', **flags)(find)\n"
    )
    with pytest.raises(ConfigError, match=message):
        exec(source, {**globals(), "flags": flags}, namespace)


def test_a_missing_return_annotation_is_an_error() -> None:
    with pytest.raises(ConfigError, match="declare the return type"):

        class Repo(MemberRepository):
            @query(expr="id = :id", unique=True)
            async def find(self, id: int):  # type: ignore[no-untyped-def]  # the point of it
                ...


def test_paged_queries_declare_page_and_limit() -> None:
    with pytest.raises(ConfigError, match=r"needs the parameters limit; declare `page: int = 1"):

        class Repo(MemberRepository):
            @query(expr="id > :id", paged=True)
            async def find(self, id: int, page: int = 1) -> PageResult[Member]:
                raise NotImplementedError


def test_paged_placeholders_cannot_use_the_paging_names() -> None:
    with pytest.raises(ConfigError, match=r":limit is reserved by paged=True"):

        class Repo(MemberRepository):
            @query(expr="id > :limit", paged=True)
            async def find(self, page: int = 1, limit: int = 50) -> PageResult[Member]:
                raise NotImplementedError


def test_paged_sql_leaves_limit_to_loom() -> None:
    with pytest.raises(ConfigError, match="already has LIMIT"):

        class Repo(MemberRepository):
            @query(sql="SELECT username FROM members LIMIT 10", paged=True)
            async def find(self, page: int = 1, limit: int = 50) -> PageResult[Badge]:
                raise NotImplementedError


async def test_a_query_outside_a_repository_fails_at_first_use() -> None:
    class NotARepository:
        @query(expr="id = :id", unique=True)
        async def find(self, id: int) -> Member | None: ...

    with pytest.raises(ConfigError, match="NotARepository is not a RepositorySQLAlchemy"):
        await NotARepository().find(1)


async def test_an_annotation_that_never_resolves_fails_at_first_use(
    members: MemberRepository,
) -> None:
    with pytest.raises(ConfigError, match=r"get_later: the return annotation does not resolve"):
        await members.get_later(1)


@pytest.mark.parametrize(
    ("page", "limit", "field"), [(0, 10, "page"), (True, 10, "page"), (1, 1001, "limit")]
)
async def test_page_and_limit_are_checked_before_any_sql(
    members: MemberRepository, page: int, limit: int, field: str
) -> None:
    with pytest.raises(QueryError) as caught:
        await members.badges(datetime(2024, 1, 1), page=page, limit=limit)
    assert caught.value.errors[0].field == field
    assert f"{field} must be" in caught.value.message


async def test_arguments_bind_like_a_normal_call(members: MemberRepository) -> None:
    with pytest.raises(TypeError, match="username"):
        await members.get_by_username()  # type: ignore[call-arg]  # the point of it


async def _callers_see_the_declared_types(members: MemberRepository) -> None:
    # Checked by mypy, never run: @query keeps the method's signature for type checkers.
    assert_type(await members.get_by_username("ada"), Member | None)
    assert_type(await members.badges(datetime(2024, 1, 1), page=2), PageResult[Badge])
