"""Values and queries no backend can take are refused alike, before any statement runs.

A string over its ``ColumnField(length=n)`` (which SQLite would store), a string holding NUL
(which PostgreSQL refuses), an ``in`` list past what a statement may bind and an offset past a
32-bit bind are each a Loom error naming the field, on memory, SQLite and PostgreSQL.
"""

from __future__ import annotations

import pytest

from loom.core.errors import QueryError, ValidationError
from loom.core.query import (
    MAX_FILTER_VALUES,
    MAX_PAGE_END,
    FilterGroup,
    FilterOp,
    FilterSpec,
    PaginationMode,
    QuerySpec,
    SortSpec,
)
from tests.integration.repository.conftest import RepoFactory, new_user
from tests.integration.repository.models import Address, User

pytestmark = pytest.mark.integration

NUL_MESSAGE = "text may not contain the NUL character (\\u0000); remove it"


async def test_a_string_over_its_column_length_is_refused(repo_factory: RepoFactory) -> None:
    users = repo_factory(User)
    with pytest.raises(ValidationError) as caught:
        await users.create(new_user(1, full_name="x" * 121, nickname="n" * 61))
    assert caught.value.status == 422
    assert caught.value.code == "invalid_value"
    assert [(e.field, e.message) for e in caught.value.errors] == [
        ("full_name", "at most 120 characters; got 121"),
        ("nickname", "at most 60 characters; got 61"),
    ]
    assert await users.count() == 0

    kept = await users.create(new_user(1, full_name="x" * 120))
    with pytest.raises(ValidationError) as caught:
        await users.update(kept.id, {"nickname": "n" * 61})
    assert [e.field for e in caught.value.errors] == ["nickname"]
    with pytest.raises(ValidationError):
        await users.create_many([new_user(2), new_user(3, email="e" * 256)])
    with pytest.raises(ValidationError):
        await users.upsert(new_user(1, full_name="y" * 121), conflict_on=["email"])
    assert [u.full_name for u in (await users.list_with_query(QuerySpec())).items] == ["x" * 120]


async def test_a_model_instance_is_held_to_the_column_length_too(
    repo_factory: RepoFactory,
) -> None:
    addresses = repo_factory(Address)
    repo_factory(User)
    with pytest.raises(ValidationError) as caught:
        await addresses.create(Address(user_id=1, city="c" * 121))
    assert [e.field for e in caught.value.errors] == ["city"]


async def test_nul_in_a_written_string_is_refused(repo_factory: RepoFactory) -> None:
    users = repo_factory(User)
    with pytest.raises(ValidationError) as caught:
        await users.create(new_user(1, full_name="A\x00da"))
    assert [(e.field, e.message) for e in caught.value.errors] == [("full_name", NUL_MESSAGE)]
    user = await users.create(new_user(1))
    with pytest.raises(ValidationError):
        await users.update(user.id, {"nickname": "\x00"})
    assert await users.get_by_id(user.id) == user


async def test_nul_in_a_looked_up_or_filtered_string_is_a_query_error(
    repo_factory: RepoFactory,
) -> None:
    users = repo_factory(User)
    await users.create(new_user(1))
    with pytest.raises(QueryError):
        await users.get_by("email", "u1@example.com\x00")
    with pytest.raises(QueryError):
        await users.exists_by("email", "\x00")
    with pytest.raises(QueryError) as caught:
        await users.count(FilterGroup(filters=(FilterSpec(field="email", value="a\x00"),)))
    assert [e.field for e in caught.value.errors] == ["email"]


def _in(values: list[int]) -> FilterSpec:
    return FilterSpec(field="id", op=FilterOp.IN, value=values)


async def test_an_in_list_past_the_limit_is_a_query_error_not_an_outage(
    repo_factory: RepoFactory,
) -> None:
    users = repo_factory(User)
    await users.create(new_user(1))
    # 33,000 values is past what asyncpg can bind at all (32,767 parameters).
    for size in (MAX_FILTER_VALUES + 1, 33_000):
        with pytest.raises(QueryError) as caught:
            await users.list_with_query(QuerySpec(filters=FilterGroup(filters=(_in([1] * size),))))
        assert caught.value.status == 400
        assert f"at most {MAX_FILTER_VALUES} values, got {size}" in caught.value.message
    full = await users.list_with_query(
        QuerySpec(filters=FilterGroup(filters=(_in(list(range(1, MAX_FILTER_VALUES + 1))),)))
    )
    assert [u.id for u in full.items] == [1]

    # Many small groups add up the same way.
    groups = tuple(FilterGroup(filters=(_in(list(range(500))),)) for _ in range(3))
    with pytest.raises(QueryError) as caught:
        await users.count(FilterGroup(groups=groups, op="or"))  # type: ignore[arg-type]
    assert [e.field for e in caught.value.errors] == ["filters"]
    assert "hold 1500 values in all" in caught.value.message


async def test_an_offset_past_a_32_bit_bind_is_a_query_error(repo_factory: RepoFactory) -> None:
    users = repo_factory(User)
    await users.create(new_user(1))
    with pytest.raises(QueryError) as caught:
        await users.list_with_query(QuerySpec(page=1_000_000_000, limit=50))
    assert [e.field for e in caught.value.errors] == ["page"]
    last = await users.list_with_query(QuerySpec(page=MAX_PAGE_END // 1000, limit=1000))
    assert last.items == []
    # Cursor pages ignore page: nothing to refuse.
    cursor = QuerySpec(pagination=PaginationMode.CURSOR, page=10**12, limit=10)
    assert len((await users.list_with_query(cursor)).items) == 1


async def test_more_sort_keys_than_the_limit_is_a_query_error(repo_factory: RepoFactory) -> None:
    users = repo_factory(User)
    sort = tuple(SortSpec(field="id") for _ in range(1000))
    with pytest.raises(QueryError) as caught:
        await users.list_with_query(QuerySpec(sort=sort))
    assert [(e.field, e.message) for e in caught.value.errors] == [
        ("sort", "at most 8 sort keys may be given, got 1000")
    ]
