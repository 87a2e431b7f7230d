"""Transactions with propagation, carried by a context variable per task.

A transaction owns one ``AsyncConnection``; an ``AsyncSession`` bound to it is created only when
code asks for one (custom repository methods), so Core reads and writes pay for no ORM session.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from loom.core.errors import TransactionError
from loom.core.repository.sqlalchemy._session_events import RecordingSession, session_info
from loom.core.trace import current_trace_id
from loom.core.transaction import Propagation, UnitOfWork
from loom.core.transaction._uow import _reset_current, _set_current

if TYPE_CHECKING:
    from loom.core.repository.sqlalchemy._session import SessionManager


@dataclass(eq=False)
class Transaction:
    """One open transaction (or savepoint scope) of a :class:`SessionManager`.

    A lazy transaction (``transaction(read_only=True, lazy=True)``, what the kernel opens for a
    read-only use case) takes its connection only when a statement needs one, so a use case
    answered from the cache costs no database round trip.

    Attributes:
        manager: The session manager that opened it.
        uow: The unit of work of the outermost transaction.
        read_only: Whether writes are refused.
    """

    manager: SessionManager
    _connection: AsyncConnection | None
    uow: UnitOfWork
    read_only: bool
    _session: AsyncSession | None = field(default=None, repr=False)
    _opener: Callable[[], Awaitable[AsyncConnection]] | None = field(default=None, repr=False)

    @property
    def connection(self) -> AsyncConnection:
        """The connection the transaction runs on.

        Raises:
            TransactionError: A lazy transaction has not connected yet (``await connect()``).
        """
        if self._connection is None:
            raise TransactionError(
                "this lazy read-only transaction has no connection yet; use "
                "`await tx.connect()` (or a repository, or @with_session_scope) first"
            )
        return self._connection

    async def connect(self) -> AsyncConnection:
        """The transaction's connection, opening it on first use for a lazy transaction."""
        if self._connection is None:
            assert self._opener is not None
            self._connection = await self._opener()
        return self._connection

    @property
    def session(self) -> AsyncSession:
        """An ``AsyncSession`` bound to this transaction's connection, created on first use."""
        if self._session is None:
            self._session = AsyncSession(
                bind=self.connection,
                expire_on_commit=False,
                join_transaction_mode="create_savepoint",
                # Its flushes and DML become mutation events of this transaction.
                sync_session_class=RecordingSession,
                info=session_info(self.uow, self.manager.base),
            )
        return self._session

    async def flush(self) -> None:
        """Flush the ORM session, if one was opened."""
        if self._session is not None:
            await self._session.flush()


_active: contextvars.ContextVar[dict[int, Transaction] | None] = contextvars.ContextVar(
    "loom_transactions", default=None
)


class TransactionRunner:
    """Implements the propagation rules for one session manager."""

    def __init__(self, manager: SessionManager) -> None:
        self._manager = manager
        self._key = id(manager)

    def current(self) -> Transaction | None:
        active = _active.get()
        return None if active is None else active.get(self._key)

    @contextlib.asynccontextmanager
    async def _bind(self, tx: Transaction | None) -> AsyncIterator[None]:
        active = dict(_active.get() or {})
        if tx is None:
            active.pop(self._key, None)
        else:
            active[self._key] = tx
        token = _active.set(active)
        uow_token = _set_current(tx.uow if tx is not None else None)
        try:
            yield
        finally:
            _reset_current(uow_token)
            _active.reset(token)

    def open(
        self,
        propagation: Propagation,
        read_only: bool,
        isolation_level: str | None,
        lazy: bool = False,
    ) -> contextlib.AbstractAsyncContextManager[Transaction | None]:
        current = self.current()
        if propagation is Propagation.REQUIRED:
            # The hot path: plain classes, no generator-based context managers.
            if current is not None:
                return _Joined(current)
            return _NewTransaction(self, read_only, isolation_level, lazy=lazy and read_only)
        return self._open_other(current, propagation, read_only, isolation_level)

    @contextlib.asynccontextmanager
    async def _open_other(
        self,
        current: Transaction | None,
        propagation: Propagation,
        read_only: bool,
        isolation_level: str | None,
    ) -> AsyncIterator[Transaction | None]:
        if propagation is Propagation.NEVER:
            if current is not None:
                raise TransactionError(
                    "propagation NEVER: a transaction is already open in this task; call "
                    "this outside the transaction or choose another propagation"
                )
            yield None
            return
        if propagation is Propagation.NOT_SUPPORTED:
            async with self._bind(None):
                yield None
            return
        if current is not None and propagation in (Propagation.MANDATORY, Propagation.SUPPORTS):
            yield current
            return
        if propagation is Propagation.MANDATORY:
            raise TransactionError(
                "propagation MANDATORY: no transaction is open in this task; call this from "
                "inside a transaction (a write use case, @transactional, sm.transaction())"
            )
        if propagation is Propagation.SUPPORTS:
            yield None
            return
        if propagation is Propagation.NESTED and current is not None:
            async with self._savepoint(current) as tx:
                yield tx
            return
        async with _NewTransaction(self, read_only, isolation_level) as tx:
            yield tx

    @contextlib.asynccontextmanager
    async def _savepoint(self, current: Transaction) -> AsyncIterator[Transaction]:
        mark = current.uow.mark()
        savepoint = await (await current.connect()).begin_nested()
        try:
            yield current
            await current.flush()
        except BaseException:
            current.uow.rollback_to(mark)
            await asyncio.shield(savepoint.rollback())
            raise
        await savepoint.commit()


class _Joined:
    """Joining the transaction already open: nothing to do on either side."""

    __slots__ = ("_tx",)

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    async def __aenter__(self) -> Transaction:
        return self._tx

    async def __aexit__(self, *exc_info: object) -> None:
        return None


class _NewTransaction:
    """A new transaction on its own connection, bound to the task while it is open."""

    __slots__ = ("_conn", "_isolation", "_lazy", "_read_only", "_runner", "_tokens", "_tx")

    def __init__(
        self,
        runner: TransactionRunner,
        read_only: bool,
        isolation: str | None,
        *,
        lazy: bool = False,
    ) -> None:
        self._runner = runner
        self._read_only = read_only
        self._isolation = isolation
        self._lazy = lazy
        self._tx: Transaction | None = None
        self._conn: AsyncConnection | None = None
        self._tokens: tuple[Any, Any] | None = None

    async def _open(self) -> AsyncConnection:
        manager = self._runner._manager
        connection = await manager.engine.connect()
        self._conn = connection
        try:
            options: dict[str, Any] = {}
            if self._isolation:
                options["isolation_level"] = self._isolation
            if self._read_only:
                if manager.dialect_name == "postgresql":
                    # The server refuses writes itself (BEGIN READ ONLY).
                    options["postgresql_readonly"] = True
                else:
                    # SQLite has no read-only transactions: inspect this connection's
                    # statements (a listener on the engine would tax every statement).
                    event.listen(
                        connection.sync_connection, "before_cursor_execute", _refuse_writes
                    )
            if options:
                await connection.execution_options(**options)
            await connection.begin()
            # Writes only: reads carry no trace id, so they never pay the extra statement.
            trace_id = (
                current_trace_id.get() if manager.inject_trace_id and not self._read_only else None
            )
            if trace_id is not None:
                await _set_trace_id(connection, trace_id)
        except BaseException:
            self._conn = None
            await asyncio.shield(_discard(connection, None))
            raise
        return connection

    async def __aenter__(self) -> Transaction:
        manager = self._runner._manager
        connection = None if self._lazy else await self._open()
        tx = Transaction(
            manager=manager,
            _connection=connection,
            uow=UnitOfWork(read_only=self._read_only),
            read_only=self._read_only,
            _opener=self._open if self._lazy else None,
        )
        self._tx = tx
        active = dict(_active.get() or {})
        active[self._runner._key] = tx
        self._tokens = (_active.set(active), _set_current(tx.uow))
        return tx

    def _unbind(self) -> None:
        if self._tokens is not None:
            active_token, uow_token = self._tokens
            self._tokens = None
            _reset_current(uow_token)
            _active.reset(active_token)

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object
    ) -> None:
        tx, connection = self._tx, self._conn
        assert tx is not None
        if connection is None:
            # A lazy transaction that never needed the database: nothing to end.
            self._unbind()
            return
        if exc_type is not None:
            self._unbind()
            # Shielded so that a cancelled task still rolls back and returns its connection.
            await asyncio.shield(_discard(connection, tx))
            return
        try:
            await tx.flush()
            await tx.uow.run_before_commit()
        except BaseException:
            self._unbind()
            await asyncio.shield(_discard(connection, tx))
            raise
        self._unbind()
        try:
            await connection.commit()
        except BaseException:
            await asyncio.shield(_discard(connection, tx))
            raise
        await _close(connection, tx)
        if tx.uow.events:
            tx.manager.hook_failures += await tx.uow.deliver(tx.manager.post_commit_hooks)


def _refuse_writes(
    conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any, _many: bool
) -> None:
    if statement.lstrip()[:7].upper().startswith(_WRITE_PREFIXES):
        raise TransactionError(
            "write attempted in a read-only transaction: "
            f"{statement.split(None, 1)[0].upper()} refused; open the transaction "
            "without read_only=True (or declare the use case read_only = False)"
        )


_WRITE_PREFIXES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER", "UPSERT")


async def _set_trace_id(connection: AsyncConnection, trace_id: str) -> None:
    from sqlalchemy import text

    await connection.execute(
        text("SELECT set_config('loom.trace_id', :trace_id, true)"), {"trace_id": trace_id}
    )


async def _close(connection: AsyncConnection, tx: Transaction | None) -> None:
    if tx is not None and tx._session is not None:
        await tx._session.close()
    await connection.close()


async def _discard(connection: AsyncConnection, tx: Transaction | None) -> None:
    try:
        if connection.in_transaction():
            await connection.rollback()
    finally:
        await _close(connection, tx)
