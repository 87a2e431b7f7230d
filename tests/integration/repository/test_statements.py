"""Statement counts on SQLite and PostgreSQL: one statement per operation, one per relation."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from loom.core.query import PageParams, PaginationMode, QuerySpec, SortSpec
from loom.testing import count_statements
from tests.integration.repository.conftest import RepoFactory, new_user
from tests.integration.repository.models import Address, User

pytestmark = pytest.mark.integration


async def statements(factory: RepoFactory, call: Callable[[], Awaitable[Any]]) -> int:
    with count_statements(factory.sm.engine) as counter:
        await call()
    return counter.count


async def test_every_single_operation_is_one_statement(sql_factory: RepoFactory) -> None:
    users = sql_factory(User)
    await users.create_many([new_user(n, score=n % 3) for n in range(30)])
    cursor_page = await users.list_with_query(
        QuerySpec(pagination=PaginationMode.CURSOR, sort=(SortSpec(field="score"),), limit=5)
    )
    calls: dict[str, Callable[[], Awaitable[Any]]] = {
        "get_by_id": lambda: users.get_by_id(3),
        "get_by": lambda: users.get_by("email", "u3@example.com"),
        "exists_by": lambda: users.exists_by("email", "u3@example.com"),
        "count": lambda: users.count({"score": 1}),
        "create": lambda: users.create(new_user("new")),
        "update": lambda: users.update(3, {"nickname": "three"}),
        "update of a missing row": lambda: users.update(999, {"nickname": "x"}),
        "delete": lambda: users.delete(4),
        "upsert": lambda: users.upsert(new_user(5, nickname="five"), conflict_on=("email",)),
        "list_paginated": lambda: users.list_paginated(PageParams(page=2, limit=10)),
        "offset page with total": lambda: users.list_with_query(
            QuerySpec(limit=10, page=2, include_total=True)
        ),
        "first cursor page": lambda: users.list_with_query(
            QuerySpec(pagination=PaginationMode.CURSOR, sort=(SortSpec(field="score"),), limit=5)
        ),
        "next cursor page": lambda: users.list_with_query(
            QuerySpec(
                pagination=PaginationMode.CURSOR,
                sort=(SortSpec(field="score"),),
                limit=5,
                cursor=cursor_page.next_cursor,  # type: ignore[union-attr]  # a CursorResult
            )
        ),
    }
    counts = {name: await statements(sql_factory, call) for name, call in calls.items()}
    assert counts == dict.fromkeys(calls, 1)


@pytest.mark.parametrize("rows", [1000, 2500])
async def test_create_many_sends_one_statement_per_batch(
    sql_factory: RepoFactory, rows: int
) -> None:
    users = sql_factory(User)
    dialect = sql_factory.sm.engine.dialect
    # Each batch holds insertmanyvalues_page_size rows, unless the rows' parameters would pass
    # the driver's limit first (5 parameters a row here: far below it on both backends).
    per_batch = min(
        dialect.insertmanyvalues_page_size, dialect.insertmanyvalues_max_parameters // 5
    )
    assert per_batch == 1000
    with count_statements(sql_factory.sm.engine) as counter:
        created = await users.create_many([new_user(n) for n in range(rows)])
    assert counter.count == math.ceil(rows / per_batch)
    assert [u.email for u in created] == [f"u{n}@example.com" for n in range(rows)]
    assert [u.id for u in created] == list(range(1, rows + 1))


async def test_create_many_with_given_keys_keeps_order(sql_factory: RepoFactory) -> None:
    users = sql_factory(User)
    ids = [7, 3, 11, 5]
    with count_statements(sql_factory.sm.engine) as counter:
        created = await users.create_many([{**new_user(i), "id": i} for i in ids])
    assert counter.count == 1
    assert [(u.id, u.email) for u in created] == [(i, f"u{i}@example.com") for i in ids]


async def family(factory: RepoFactory) -> None:
    users, addresses = factory(User), factory(Address)
    created = await users.create_many([new_user(n) for n in range(20)])
    await addresses.create_many(
        [{"user_id": u.id, "city": f"City {u.id}-{k}"} for u in created for k in range(2)]
    )


@pytest.mark.parametrize(
    ("profile", "expected"),
    [("default", 1), ("with_addresses", 2), ("counted", 2), ("full", 4)],
)
async def test_a_profile_costs_one_statement_per_relation_not_per_row(
    sql_factory: RepoFactory, profile: str, expected: int
) -> None:
    await family(sql_factory)
    users = sql_factory(User)
    with count_statements(sql_factory.sm.engine) as counter:
        page = await users.list_with_query(QuerySpec(limit=20), profile=profile)
    assert len(page.items) == 20
    # The page itself, then one per relation and one per projection ("full": 1 + 1 + 2).
    assert counter.count == expected


async def test_many_to_one_over_a_page_is_one_more_statement(sql_factory: RepoFactory) -> None:
    await family(sql_factory)
    addresses = sql_factory(Address)
    with count_statements(sql_factory.sm.engine) as counter:
        page = await addresses.list_with_query(QuerySpec(limit=20), profile="with_user")
    assert [a.user.id for a in page.items if a.user] == [a.user_id for a in page.items]
    assert counter.count == 2
