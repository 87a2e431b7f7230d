"""Declarative queries (``@query``) on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from uuid import UUID

import pytest
import sqlalchemy as sa

from loom.core.errors import ConflictError, LoomError, NotFoundError, QueryError, TransactionError
from loom.core.events import MutationEvent
from loom.core.repository.sqlalchemy import SessionManager
from loom.testing import count_statements
from tests.integration.declarative.conftest import START, account
from tests.integration.declarative.models import (
    Account,
    AccountRepository,
    AccountSummary,
    Post,
    Tier,
)

pytestmark = pytest.mark.integration


class Recorder:
    """A post-commit hook that remembers the events it was given."""

    def __init__(self) -> None:
        self.events: list[MutationEvent] = []

    async def on_transaction_committed(self, events: tuple[MutationEvent, ...]) -> None:
        self.events.extend(events)


async def active_of(sm: SessionManager, username: str) -> bool:
    async with sm.engine.connect() as conn:
        result = await conn.execute(
            sa.text("SELECT active FROM accounts WHERE username = :u"), {"u": username}
        )
        return bool(result.scalar_one())


# -- expr ------------------------------------------------------------------------------------


async def test_unique_expr_returns_the_model_or_none(
    accounts: AccountRepository, five: list[Account]
) -> None:
    found = await accounts.get_by_username("user3")
    assert found == five[2]
    assert isinstance(found, Account)
    assert await accounts.get_by_username("nobody") is None


async def test_unique_with_two_matches_names_the_method_and_the_count(
    accounts: AccountRepository, five: list[Account]
) -> None:
    await accounts.create(account(9, email="user1@example.com"))
    with pytest.raises(LoomError, match=r"get_by_email.*returned 2") as caught:
        await accounts.get_by_email("user1@example.com")
    assert caught.value.code == "multiple_results"


async def test_list_expr_is_in_primary_key_order(
    accounts: AccountRepository, five: list[Account]
) -> None:
    assert [a.username for a in await accounts.list_by_active(True)] == [
        "user1",
        "user3",
        "user5",
    ]
    assert [a.username for a in await accounts.list_by_active(False)] == ["user2", "user4"]


async def test_values_bind_with_the_column_types(
    accounts: AccountRepository, five: list[Account]
) -> None:
    since = await accounts.joined_since(START + timedelta(days=4))
    assert [a.username for a in since] == ["user4", "user5"]
    assert since[0].joined_at == START + timedelta(days=4)
    assert since[0].joined_at.tzinfo is not None
    found = await accounts.get_by_token(UUID(int=2))
    assert found is not None
    assert found.username == "user2"
    rich = await accounts.richer_than(Decimal("31.5"), Tier.PRO)
    assert [a.username for a in rich] == ["user4", "user5"]
    assert rich[0].balance == Decimal("42")


async def test_a_non_utc_datetime_compares_as_the_same_instant(
    accounts: AccountRepository, five: list[Account]
) -> None:
    # user4 joined 2024-03-05 09:30 UTC, which is 11:30 at +02:00.
    plus_two = datetime(2024, 3, 5, 11, 30, tzinfo=timezone(timedelta(hours=2)))
    assert [a.username for a in await accounts.joined_since(plus_two)] == ["user4", "user5"]


async def test_a_list_parameter_expands_for_in(
    accounts: AccountRepository, five: list[Account]
) -> None:
    ids = [five[4].id, five[0].id]
    assert [a.username for a in await accounts.list_by_ids(ids)] == ["user1", "user5"]
    assert await accounts.list_by_ids([]) == []


async def test_expr_can_return_a_row_struct(
    accounts: AccountRepository, five: list[Account]
) -> None:
    rows = await accounts.joined_between(START + timedelta(days=2), START + timedelta(days=3))
    assert rows == [
        AccountSummary(username="user2", joined_at=START + timedelta(days=2), active=False),
        AccountSummary(username="user3", joined_at=START + timedelta(days=3), active=True),
    ]


# -- sql -------------------------------------------------------------------------------------


async def test_sql_rows_map_onto_a_struct_by_column_name(
    accounts: AccountRepository, five: list[Account]
) -> None:
    rows = await accounts.summaries_since(START + timedelta(days=4))
    assert rows == [
        AccountSummary(username="user4", joined_at=START + timedelta(days=4), active=False),
        AccountSummary(username="user5", joined_at=START + timedelta(days=5), active=True),
    ]
    # SQLite hands back text and 0/1; the row type still gets aware datetimes and bools.
    assert rows[0].joined_at.tzinfo is not None
    assert rows[1].active is True


async def test_sql_select_star_builds_the_model(
    accounts: AccountRepository, five: list[Account]
) -> None:
    found = await accounts.find_ignoring_case("USER2")
    assert found == five[1]
    assert found is not None
    assert found.tier is Tier.FREE
    assert found.token == UUID(int=2)


async def test_sql_scalars(accounts: AccountRepository, five: list[Account]) -> None:
    assert await accounts.count_by_active(True) == 3
    assert await accounts.last_joined() == START + timedelta(days=5)
    assert await accounts.total_balance(False) == Decimal("63")
    assert await accounts.usernames() == ["user1", "user2", "user3", "user4", "user5"]


async def test_scalar_queries_on_an_empty_table(accounts: AccountRepository) -> None:
    assert await accounts.count_by_active(True) == 0
    assert await accounts.last_joined() is None
    assert await accounts.usernames() == []


async def test_parameters_type_by_alias_in_joins(
    accounts: AccountRepository, five: list[Account], sm: SessionManager, base: type
) -> None:
    from loom.core.repository.sqlalchemy import RepositorySQLAlchemy

    posts: RepositorySQLAlchemy[Post, int] = RepositorySQLAlchemy(sm, Post, base=base)
    await posts.create_many(
        [
            {"account_id": five[0].id, "title": "old", "published_at": START},
            {"account_id": five[2].id, "title": "new", "published_at": START + timedelta(1)},
            {"account_id": five[2].id, "title": "newer", "published_at": START + timedelta(2)},
        ]
    )
    assert await accounts.authors_since(START + timedelta(hours=1)) == ["user3"]


async def test_rows_that_do_not_fit_the_return_type_name_the_method(
    accounts: AccountRepository, five: list[Account]
) -> None:
    with pytest.raises(LoomError, match=r"mismatched_rows.*AccountSummary") as caught:
        await accounts.mismatched_rows()
    assert caught.value.code == "invalid_result"


async def test_a_single_value_without_a_row_is_not_found(accounts: AccountRepository) -> None:
    # count(*) always has a row; an UPDATE matching nothing returns none.
    assert await accounts.rename("nobody", "somebody") is None
    with pytest.raises(NotFoundError):
        await _required_rename(accounts)


async def _required_rename(accounts: AccountRepository) -> int:
    from loom.core.repository.sqlalchemy import query

    class Strict(AccountRepository):
        @query(
            sql="UPDATE accounts SET username = :new WHERE username = :old RETURNING id",
            unique=True,
            read_only=False,
        )
        async def rename_or_fail(self, old: str, new: str) -> int:
            raise NotImplementedError

    strict = Strict(accounts.session_manager, base=accounts._registry.base)
    return await strict.rename_or_fail("nobody", "somebody")


# -- paging ----------------------------------------------------------------------------------


async def test_pages_know_has_next_without_a_count(
    sm: SessionManager, accounts: AccountRepository, five: list[Account]
) -> None:
    with count_statements(sm.engine) as counter:
        first = await accounts.page_summaries(page=1, limit=2)
    assert counter.count == 1
    assert "count(" not in counter.statements[0].lower()
    assert [r.username for r in first.items] == ["user1", "user2"]
    assert (first.page, first.limit, first.has_next, first.total_count) == (1, 2, True, None)
    last = await accounts.page_summaries(page=3, limit=2)
    assert [r.username for r in last.items] == ["user5"]
    assert last.has_next is False
    exact = await accounts.page_summaries(page=2, limit=2)
    assert exact.has_next is True
    assert (await accounts.page_summaries(page=1, limit=5)).has_next is False


async def test_total_is_a_window_count_in_the_same_statement(
    sm: SessionManager, accounts: AccountRepository, five: list[Account]
) -> None:
    with count_statements(sm.engine) as counter:
        page = await accounts.page_by_active(True, page=2, limit=2, total=True)
        summaries = await accounts.page_summaries(page=1, limit=2, total=True)
    assert counter.count == 2
    assert [a.username for a in page.items] == ["user5"]
    assert isinstance(page.items[0], Account)
    assert page.total_count == 3
    assert page.has_next is False
    assert [s.username for s in summaries.items] == ["user1", "user2"]
    assert summaries.total_count == 5


async def test_a_page_past_the_end_still_reports_the_total(
    accounts: AccountRepository, five: list[Account]
) -> None:
    page = await accounts.page_by_active(True, page=9, limit=2, total=True)
    assert (page.items, page.total_count, page.has_next) == ([], 3, False)
    empty = await accounts.page_by_active(False, page=1, limit=2, total=False)
    assert [a.username for a in empty.items] == ["user2", "user4"]
    assert empty.total_count is None


async def test_paged_sql_keeps_its_order_and_drops_a_trailing_semicolon(
    accounts: AccountRepository, five: list[Account]
) -> None:
    page = await accounts.page_usernames(page=2, limit=2)
    assert page.items == ["user3", "user2"]
    assert page.has_next is True


@pytest.mark.parametrize(
    ("page", "limit", "field"),
    [
        (0, 10, "page"),
        (-1, 10, "page"),
        (1, 0, "limit"),
        (1, 1001, "limit"),
        # Past a 32-bit offset: PostgreSQL refused the bind with a 500 before it was checked.
        (1_000_000_000, 50, "page"),
    ],
)
async def test_page_and_limit_out_of_range_name_the_parameter(
    accounts: AccountRepository, page: int, limit: int, field: str
) -> None:
    with pytest.raises(QueryError, match=field) as caught:
        await accounts.page_summaries(page=page, limit=limit)
    assert [e.field for e in caught.value.errors] == [field]


# -- transactions ----------------------------------------------------------------------------


async def test_a_query_runs_in_one_statement_and_joins_the_open_transaction(
    sm: SessionManager, accounts: AccountRepository
) -> None:
    async with sm.transaction():
        await accounts.create(account(1))
        with count_statements(sm.engine) as counter:
            found = await accounts.get_by_username("user1")
        assert found is not None
        assert counter.count == 1
    # Outside a transaction the query opens its own, committed at once.
    with count_statements(sm.engine) as counter:
        assert await accounts.get_by_username("user1") is not None
    assert counter.count == 1


async def test_a_query_sees_the_uncommitted_rows_of_its_transaction_only(
    sm: SessionManager, accounts: AccountRepository
) -> None:
    class Rollback(Exception):
        pass

    with pytest.raises(Rollback):
        async with sm.transaction():
            await accounts.create(account(1))
            assert await accounts.count_by_active(True) == 1
            raise Rollback
    assert await accounts.count_by_active(True) == 0


async def test_a_write_in_a_read_only_query_is_refused(
    sm: SessionManager, accounts: AccountRepository, five: list[Account]
) -> None:
    with pytest.raises(TransactionError, match="read-only"):
        await accounts.set_active_read_only("user1", False)
    assert await active_of(sm, "user1") is True


async def test_read_only_false_allows_update_returning_and_reports_the_write(
    sm: SessionManager, accounts: AccountRepository, five: list[Account]
) -> None:
    hook = Recorder()
    sm.add_post_commit_hook(hook)
    changed = await accounts.set_active("user1", False)
    assert changed is not None
    assert changed.active is False
    assert changed.joined_at == START + timedelta(days=1)
    assert await active_of(sm, "user1") is False
    assert hook.events == [MutationEvent("accounts", "updated")]


async def test_a_write_query_rolls_back_with_its_transaction(
    sm: SessionManager, accounts: AccountRepository, five: list[Account]
) -> None:
    hook = Recorder()
    sm.add_post_commit_hook(hook)

    class Undo(Exception):
        pass

    with pytest.raises(Undo):
        async with sm.transaction():
            await accounts.set_active("user1", False)
            raise Undo
    assert await active_of(sm, "user1") is True
    assert hook.events == []


async def test_database_errors_are_translated(
    accounts: AccountRepository, five: list[Account]
) -> None:
    with pytest.raises(ConflictError, match="username") as caught:
        await accounts.rename("user1", "user2")
    assert caught.value.fields == ("username",)
    assert await accounts.rename("user1", "renamed") == five[0].id
