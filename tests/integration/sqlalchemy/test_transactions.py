"""Transactions: propagation, read-only, events after commit, failures and cancellation."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import sqlalchemy as sa

from loom.core.errors import LoomError, TransactionError
from loom.core.events import MutationEvent
from loom.core.repository.sqlalchemy import (
    Propagation,
    RepositorySQLAlchemy,
    SessionManager,
    get_session,
    transactional,
)
from tests.integration.sqlalchemy.models import User

pytestmark = pytest.mark.integration


class Recorder:
    """A post-commit hook that remembers what it was given."""

    def __init__(self) -> None:
        self.calls: list[tuple[MutationEvent, ...]] = []

    async def on_transaction_committed(self, events: tuple[MutationEvent, ...]) -> None:
        self.calls.append(events)


@pytest.fixture
def users(sm: SessionManager, base: type[Any]) -> RepositorySQLAlchemy[User, int]:
    return RepositorySQLAlchemy(sm, User, base=base)


async def emails(sm: SessionManager) -> list[str]:
    async with sm.engine.connect() as conn:
        rows = await conn.execute(sa.text("SELECT email FROM users ORDER BY email"))
        return [r[0] for r in rows]


def new_user(n: int | str) -> dict[str, str]:
    return {"full_name": f"User {n}", "email": f"u{n}@example.com"}


class Boom(Exception):
    pass


async def test_commit_persists_and_rollback_discards(
    sm: SessionManager, users: RepositorySQLAlchemy[User, int]
) -> None:
    async with sm.transaction():
        await users.create(new_user(1))
    with pytest.raises(Boom):
        async with sm.transaction():
            await users.create(new_user(2))
            raise Boom
    assert await emails(sm) == ["u1@example.com"]


async def test_nested_required_commits_once_at_the_outer_end(
    sm: SessionManager, users: RepositorySQLAlchemy[User, int]
) -> None:
    hook = Recorder()
    sm.add_post_commit_hook(hook)
    async with sm.transaction() as outer:
        async with sm.transaction() as inner:
            assert inner is outer
            await users.create(new_user(1))
        assert hook.calls == []
        await users.create(new_user(2))
    assert len(hook.calls) == 1
    assert [e.op for e in hook.calls[0]] == ["created", "created"]
    assert await emails(sm) == ["u1@example.com", "u2@example.com"]


async def test_inner_failure_rolls_back_the_whole_unit(
    sm: SessionManager, users: RepositorySQLAlchemy[User, int]
) -> None:
    hook = Recorder()
    sm.add_post_commit_hook(hook)
    with pytest.raises(Boom):
        async with sm.transaction():
            await users.create(new_user(1))
            async with sm.transaction():
                await users.create(new_user(2))
                raise Boom
    assert await emails(sm) == []
    assert hook.calls == []


async def test_nested_rolls_back_only_its_savepoint(
    sm: SessionManager, users: RepositorySQLAlchemy[User, int]
) -> None:
    hook = Recorder()
    sm.add_post_commit_hook(hook)
    async with sm.transaction():
        await users.create(new_user(1))
        with pytest.raises(Boom):
            async with sm.transaction(Propagation.NESTED):
                await users.create(new_user(2))
                raise Boom
        await users.create(new_user(3))
    assert await emails(sm) == ["u1@example.com", "u3@example.com"]
    assert len(hook.calls) == 1
    assert len(hook.calls[0]) == 2


async def test_requires_new_survives_an_outer_rollback(
    pg_sm: SessionManager, base: type[Any]
) -> None:
    # Two concurrent writers: PostgreSQL only (SQLite allows one writer at a time).
    sm = pg_sm
    users: RepositorySQLAlchemy[User, int] = RepositorySQLAlchemy(sm, User, base=base)
    with pytest.raises(Boom):
        async with sm.transaction():
            await users.create(new_user(1))
            async with sm.transaction("REQUIRES_NEW") as inner:
                assert inner is not None
                await users.create(new_user(2))
            raise Boom
    assert await emails(sm) == ["u2@example.com"]


async def test_mandatory_never_supports_not_supported(
    sm: SessionManager, users: RepositorySQLAlchemy[User, int]
) -> None:
    with pytest.raises(TransactionError, match="MANDATORY: no transaction is open"):
        async with sm.transaction(Propagation.MANDATORY):
            pass
    async with sm.transaction() as tx:
        with pytest.raises(TransactionError, match="NEVER: a transaction is already open"):
            async with sm.transaction(Propagation.NEVER):
                pass
        async with sm.transaction(Propagation.SUPPORTS) as joined:
            assert joined is tx
        async with sm.transaction(Propagation.NOT_SUPPORTED) as none:
            assert none is None
            assert sm.current() is None
        assert sm.current() is tx
    async with sm.transaction(Propagation.SUPPORTS) as nothing:
        assert nothing is None


async def test_read_only_refuses_writes_instead_of_dropping_them(
    sm: SessionManager, users: RepositorySQLAlchemy[User, int], db: Any
) -> None:
    with pytest.raises(TransactionError, match="read-only"):
        async with sm.transaction(read_only=True):
            await users.create(new_user(1))
    # Raw SQL: PostgreSQL refuses it itself (READ ONLY); on SQLite Loom inspects statements.
    refused = (
        pytest.raises(sa.exc.DBAPIError, match="read-only transaction")
        if db.is_postgres
        else pytest.raises(TransactionError, match="write attempted in a read-only")
    )
    with refused:
        async with sm.transaction(read_only=True) as tx:
            assert tx is not None
            await tx.connection.execute(
                sa.text("INSERT INTO users (full_name, email) VALUES ('a', 'b')")
            )
    assert await emails(sm) == []


async def test_a_failed_transaction_does_not_leak_into_the_next(
    sm: SessionManager, users: RepositorySQLAlchemy[User, int]
) -> None:
    await users.create(new_user(1))
    with pytest.raises(LoomError):
        async with sm.transaction():
            await users.create(new_user(2))
            await users.create(new_user(1))  # unique violation
    assert sm.current() is None
    async with sm.transaction():
        await users.create(new_user(3))
    await users.create(new_user(4))
    assert await emails(sm) == ["u1@example.com", "u3@example.com", "u4@example.com"]


async def test_rollback_discards_events(
    sm: SessionManager, users: RepositorySQLAlchemy[User, int]
) -> None:
    hook = Recorder()
    sm.add_post_commit_hook(hook)
    with pytest.raises(Boom):
        async with sm.transaction():
            await users.create(new_user(1))
            raise Boom
    created = await users.create(new_user(2))
    assert hook.calls == [(MutationEvent("users", "created", (created.id,)),)]


async def test_a_failing_hook_never_fails_the_commit(
    sm: SessionManager, users: RepositorySQLAlchemy[User, int], caplog: pytest.LogCaptureFixture
) -> None:
    class Broken:
        async def on_transaction_committed(self, events: tuple[MutationEvent, ...]) -> None:
            raise RuntimeError("hook down")

    sm.add_post_commit_hook(Broken())
    created = await users.create(new_user(1))
    assert created.id is not None
    assert await emails(sm) == ["u1@example.com"]
    assert "post-commit hook Broken failed" in caplog.text
    assert sm.hook_failures == 1


async def test_fifty_concurrent_transactions_each_commit_on_their_own_session(
    pg_sm: SessionManager, base: type[Any]
) -> None:
    # Fifty concurrent writers: PostgreSQL only (SQLite allows one writer at a time).
    sm = pg_sm
    users: RepositorySQLAlchemy[User, int] = RepositorySQLAlchemy(sm, User, base=base)
    seen: list[int] = []

    async def work(n: int) -> None:
        async with sm.transaction() as tx:
            assert tx is not None
            seen.append(id(tx.connection))
            await users.create(new_user(n))
            await asyncio.sleep(0)

    await asyncio.gather(*(work(n) for n in range(50)))
    assert len(await emails(sm)) == 50
    assert len(set(seen)) > 1
    assert sm.engine.pool.checkedout() == 0  # type: ignore[attr-defined]


async def test_cancellation_rolls_back_and_returns_the_connection(
    sm: SessionManager, users: RepositorySQLAlchemy[User, int]
) -> None:
    inside = asyncio.Event()

    async def work() -> None:
        async with sm.transaction():
            await users.create(new_user(1))
            inside.set()
            await asyncio.Event().wait()

    task = asyncio.create_task(work())
    await inside.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await emails(sm) == []
    assert sm.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    await users.create(new_user(2))
    assert await emails(sm) == ["u2@example.com"]


class Service:
    def __init__(self, sm: SessionManager, users: RepositorySQLAlchemy[User, int]) -> None:
        self.session_manager = sm
        self.users = users

    @transactional
    async def two(self, fail: bool) -> None:
        await self.users.create(new_user("a"))
        if fail:
            raise Boom
        await self.users.create(new_user("b"))

    @transactional(propagation="REQUIRED", read_only=True)
    async def count(self) -> int:
        result = await get_session(self.session_manager).execute(
            sa.text("SELECT count(*) FROM users")
        )
        return int(result.scalar_one())


async def test_transactional_decorator_bare_and_parameterised(
    sm: SessionManager, users: RepositorySQLAlchemy[User, int]
) -> None:
    service = Service(sm, users)
    with pytest.raises(Boom):
        await service.two(fail=True)
    assert await service.count() == 0
    await service.two(fail=False)
    assert await service.count() == 2


async def test_the_trace_id_reaches_postgresql_in_write_transactions(
    pg_sm: SessionManager, base: type[Any]
) -> None:
    from loom.core.trace import current_trace_id
    from loom.testing import count_statements

    setting = sa.text("SELECT current_setting('loom.trace_id', true)")
    token = current_trace_id.set("req-42")
    try:
        with count_statements(pg_sm.engine) as counter:
            async with pg_sm.transaction() as tx:
                assert tx is not None
                seen = (await tx.connection.execute(setting)).scalar_one()
        assert seen == "req-42"
        assert counter.count == 2  # set_config, then the SELECT
        async with pg_sm.transaction(read_only=True) as tx:
            assert tx is not None
            assert (await tx.connection.execute(setting)).scalar_one() in (None, "")
    finally:
        current_trace_id.reset(token)
    async with pg_sm.transaction() as tx:
        assert tx is not None
        assert (await tx.connection.execute(setting)).scalar_one() in (None, "")
