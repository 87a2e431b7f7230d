"""Reads: get_by, exists_by, count, offset pages, keyset cursors: one answer on every backend."""

from __future__ import annotations

import pytest

from loom.core.errors import CursorError, QueryError
from loom.core.query import (
    CursorResult,
    FilterGroup,
    FilterOp,
    FilterParams,
    FilterSpec,
    LogicalOp,
    PageParams,
    PageResult,
    PaginationMode,
    QuerySpec,
    SortSpec,
)
from loom.core.repository.abc import RepoFor
from tests.integration.repository.conftest import RepoFactory, new_user
from tests.integration.repository.models import User

pytestmark = pytest.mark.integration

# (name, nickname, score): duplicate scores, NULLs and mixed case exercise ties and ordering.
PEOPLE = [
    ("Ada", "ada", 30),
    ("bob", None, 10),
    ("Cy", "CY", None),
    ("dan", "d_n", 10),
    ("Eve", "50%", 30),
    ("fay", "fay", None),
    ("Gus", "gus", 20),
]


async def people(repo_factory: RepoFactory) -> tuple[RepoFor[User], list[User]]:
    users = repo_factory(User)
    created = await users.create_many(
        [
            {"full_name": name, "email": f"{name.lower()}@example.com", "nickname": nick,
             "score": score}
            for name, nick, score in PEOPLE
        ]
    )  # fmt: skip
    return users, created


def names(items: list[User]) -> list[str]:
    return [u.full_name for u in items]


def where(*specs: FilterSpec, op: LogicalOp = LogicalOp.AND) -> FilterGroup:
    return FilterGroup(filters=specs, op=op)


async def test_get_by_and_exists_by(repo_factory: RepoFactory) -> None:
    users, created = await people(repo_factory)
    found = await users.get_by("email", "cy@example.com")
    assert found == created[2]
    assert await users.get_by("email", "nobody@example.com") is None
    assert await users.exists_by("email", "cy@example.com") is True
    assert await users.exists_by("email", "nobody@example.com") is False
    first = await users.get_by("score", 10)
    assert first is not None
    assert first.full_name == "bob"  # the lowest key among equal values
    assert await users.exists_by("score", "30") is True  # converted to the field's type


async def test_unknown_field_is_a_query_error_listing_the_fields(
    repo_factory: RepoFactory,
) -> None:
    users = repo_factory(User)
    for call in (users.get_by("mail", "x"), users.exists_by("mail", "x")):
        with pytest.raises(QueryError) as caught:
            await call
        assert caught.value.status == 400
        assert "'mail'" in str(caught.value)
        assert "id, full_name, email, nickname, score" in str(caught.value)


async def test_value_of_the_wrong_type_is_a_query_error(repo_factory: RepoFactory) -> None:
    users = repo_factory(User)
    with pytest.raises(QueryError) as caught:
        await users.get_by("score", "lots")
    assert "score" in str(caught.value)


async def test_count_with_and_without_filters(repo_factory: RepoFactory) -> None:
    users, _ = await people(repo_factory)
    assert await users.count() == 7
    assert await users.count({"score": 10}) == 2
    assert await users.count({}) == 7
    assert await users.count(where(FilterSpec(field="score", op=FilterOp.IS_NULL))) == 2
    assert await users.count(where(FilterSpec(field="score", op=FilterOp.NE, value=10))) == 5
    either = where(
        FilterSpec(field="score", op=FilterOp.GTE, value=30),
        FilterSpec(field="nickname", op=FilterOp.EQ, value=None),
        op=LogicalOp.OR,
    )
    assert await users.count(either) == 3
    with pytest.raises(QueryError) as caught:
        await users.count({"scor": 1})
    assert "'scor'" in str(caught.value)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (FilterSpec(field="nickname", op=FilterOp.LIKE, value="c%"), []),
        (FilterSpec(field="nickname", op=FilterOp.LIKE, value="C%"), ["Cy"]),
        (FilterSpec(field="nickname", op=FilterOp.ILIKE, value="c%"), ["Cy"]),
        (FilterSpec(field="nickname", op=FilterOp.LIKE, value="d_n"), ["dan"]),
        (FilterSpec(field="nickname", op=FilterOp.LIKE, value="d\\_n"), ["dan"]),
        (FilterSpec(field="nickname", op=FilterOp.LIKE, value="_a_"), ["fay"]),
        (FilterSpec(field="nickname", op=FilterOp.CONTAINS, value="%"), ["Eve"]),
        (FilterSpec(field="nickname", op=FilterOp.CONTAINS, value="_"), ["dan"]),
        (FilterSpec(field="nickname", op=FilterOp.STARTSWITH, value="g"), ["Gus"]),
        (FilterSpec(field="nickname", op=FilterOp.NOT_IN, value=["ada", "gus"]),
         ["bob", "Cy", "dan", "Eve", "fay"]),
        (FilterSpec(field="score", op=FilterOp.IN, value=[10, 20]), ["bob", "dan", "Gus"]),
        (FilterSpec(field="score", op=FilterOp.BETWEEN, value=[15, 30]), ["Ada", "Eve", "Gus"]),
        (FilterSpec(field="score", op=FilterOp.LT, value=20), ["bob", "dan"]),
        (FilterSpec(field="full_name", op=FilterOp.GT, value="Z"), ["bob", "dan", "fay"]),
    ],
)  # fmt: skip
async def test_filters_mean_the_same_on_every_backend(
    repo_factory: RepoFactory, spec: FilterSpec, expected: list[str]
) -> None:
    users, _ = await people(repo_factory)
    page = await users.list_with_query(QuerySpec(filters=where(spec)))
    assert names(page.items) == expected
    assert await users.count(where(spec)) == len(expected)


async def test_list_paginated_pages_in_key_order(repo_factory: RepoFactory) -> None:
    users, _ = await people(repo_factory)
    first = await users.list_paginated(PageParams(page=1, limit=3))
    assert names(first.items) == ["Ada", "bob", "Cy"]
    assert (first.page, first.limit, first.has_next, first.total_count) == (1, 3, True, None)
    last = await users.list_paginated(PageParams(page=3, limit=3))
    assert names(last.items) == ["Gus"]
    assert last.has_next is False
    filtered = await users.list_paginated(
        PageParams(page=1, limit=10), FilterParams(filters={"score": 30})
    )
    assert names(filtered.items) == ["Ada", "Eve"]


async def test_offset_query_sorts_nulls_last_and_reports_the_total(
    repo_factory: RepoFactory,
) -> None:
    users, _ = await people(repo_factory)
    query = QuerySpec(
        sort=(SortSpec(field="score", direction="DESC"),), limit=4, include_total=True
    )
    first = await users.list_with_query(query)
    assert isinstance(first, PageResult)
    assert names(first.items) == ["Cy", "fay", "Ada", "Eve"]  # NULL is the largest value
    assert (first.has_next, first.total_count) == (True, 7)
    second = await users.list_with_query(
        QuerySpec(sort=query.sort, limit=4, page=2, include_total=True)
    )
    assert isinstance(second, PageResult)
    assert names(second.items) == ["Gus", "bob", "dan"]
    assert (second.has_next, second.total_count) == (False, 7)
    ascending = await users.list_with_query(QuerySpec(sort=(SortSpec(field="score"),)))
    assert names(ascending.items) == ["bob", "dan", "Gus", "Ada", "Eve", "Cy", "fay"]


async def test_total_past_the_last_page_is_still_the_total(repo_factory: RepoFactory) -> None:
    users, _ = await people(repo_factory)
    page = await users.list_with_query(QuerySpec(limit=5, page=4, include_total=True))
    assert isinstance(page, PageResult)
    assert (page.items, page.has_next, page.total_count) == ([], False, 7)
    empty = await users.list_with_query(
        QuerySpec(filters=where(FilterSpec(field="score", value=99)), include_total=True)
    )
    assert isinstance(empty, PageResult)
    assert (empty.items, empty.total_count) == ([], 0)


async def test_limits_outside_the_allowed_range_are_query_errors(
    repo_factory: RepoFactory,
) -> None:
    users = repo_factory(User)
    for query in (QuerySpec(limit=0), QuerySpec(limit=1001), QuerySpec(page=0)):
        with pytest.raises(QueryError):
            await users.list_with_query(query)


@pytest.mark.parametrize("direction", ["ASC", "DESC"])
async def test_cursor_walk_returns_every_row_once_in_order(
    repo_factory: RepoFactory, direction: str
) -> None:
    users = repo_factory(User)
    # Many ties and NULLs: keyset pages must neither skip nor repeat a row.
    await users.create_many([new_user(n, score=None if n % 4 == 0 else n % 3) for n in range(23)])
    sort = (SortSpec(field="score", direction=direction),)
    everything = await users.list_with_query(QuerySpec(sort=sort, limit=100))
    walked: list[int] = []
    cursor: str | None = None
    pages = 0
    while True:
        page = await users.list_with_query(
            QuerySpec(sort=sort, pagination=PaginationMode.CURSOR, limit=5, cursor=cursor)
        )
        assert isinstance(page, CursorResult)
        walked.extend(u.id for u in page.items)
        pages += 1
        if not page.has_next:
            assert page.next_cursor is None
            break
        cursor = page.next_cursor
    assert walked == [u.id for u in everything.items]
    assert len(set(walked)) == 23
    assert pages == 5


async def test_cursor_of_another_query_or_tampered_is_refused(repo_factory: RepoFactory) -> None:
    users, _ = await people(repo_factory)
    page = await users.list_with_query(QuerySpec(pagination=PaginationMode.CURSOR, limit=2))
    assert isinstance(page, CursorResult)
    assert page.next_cursor is not None
    other = QuerySpec(
        pagination=PaginationMode.CURSOR,
        limit=2,
        cursor=page.next_cursor,
        sort=(SortSpec(field="score"),),
    )
    with pytest.raises(CursorError) as caught:
        await users.list_with_query(other)
    assert "another query" in str(caught.value)
    tampered = QuerySpec(pagination=PaginationMode.CURSOR, limit=2, cursor=page.next_cursor[:-2])
    with pytest.raises(CursorError):
        await users.list_with_query(tampered)
    following = await users.list_with_query(
        QuerySpec(pagination=PaginationMode.CURSOR, limit=2, cursor=page.next_cursor)
    )
    assert names(following.items) == ["Cy", "dan"]
