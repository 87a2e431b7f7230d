"""Transactions with propagation, carried by a context variable per task.

A transaction owns one ``AsyncConnection``; an ``AsyncSession`` bound to it is created only when
code asks for one (custom repository methods), so Core reads and writes pay for no ORM session.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from loom.core.errors import TransactionError
from loom.core.trace import current_trace_id
from loom.core.transaction import Propagation, UnitOfWork
from loom.core.transaction._uow import _reset_current, _set_current

if TYPE_CHECKING:
    from loom.core.repository.sqlalchemy._session import SessionManager


@dataclass(eq=False)
class Transaction:
    """One open transaction (or savepoint scope) of a :class:`SessionManager`.

    Attributes:
        manager: The session manager that opened it.
        connection: The connection the transaction runs on.
        uow: The unit of work of the outermost transaction.
        read_only: Whether writes are refused.
    """

    manager: SessionManager
    connection: AsyncConnection
    uow: UnitOfWork
    read_only: bool
    _session: AsyncSession | None = field(default=None, repr=False)

    @property
    def session(self) -> AsyncSession:
        """An ``AsyncSession`` bound to this transaction's connection, created on first use."""
        if self._session is None:
            self._session = AsyncSession(
                bind=self.connection,
                expire_on_commit=False,
                join_transaction_mode="create_savepoint",
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

    @contextlib.asynccontextmanager
    async def open(
        self, propagation: Propagation, read_only: bool, isolation_level: str | None
    ) -> AsyncIterator[Transaction | None]:
        current = self.current()
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
        if current is not None and propagation in (
            Propagation.REQUIRED,
            Propagation.MANDATORY,
            Propagation.SUPPORTS,
        ):
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
        async with self._new(read_only, isolation_level) as tx:
            yield tx

    @contextlib.asynccontextmanager
    async def _savepoint(self, current: Transaction) -> AsyncIterator[Transaction]:
        mark = current.uow.mark()
        savepoint = await current.connection.begin_nested()
        try:
            yield current
            await current.flush()
        except BaseException:
            current.uow.rollback_to(mark)
            await asyncio.shield(savepoint.rollback())
            raise
        await savepoint.commit()

    @contextlib.asynccontextmanager
    async def _new(
        self, read_only: bool, isolation_level: str | None
    ) -> AsyncIterator[Transaction]:
        manager = self._manager
        connection = await manager.engine.connect()
        uow = UnitOfWork(read_only=read_only)
        tx: Transaction | None = None
        try:
            options: dict[str, Any] = {}
            if isolation_level:
                options["isolation_level"] = isolation_level
            if read_only and manager.dialect_name == "postgresql":
                options["postgresql_readonly"] = True
            if options:
                await connection.execution_options(**options)
            if read_only:
                connection.info["loom_read_only"] = True
            await connection.begin()
            trace_id = current_trace_id.get() if manager.inject_trace_id else None
            if trace_id is not None:
                await _set_trace_id(connection, trace_id)
            tx = Transaction(manager=manager, connection=connection, uow=uow, read_only=read_only)
            async with self._bind(tx):
                yield tx
                await tx.flush()
                await uow.run_before_commit()
            await connection.commit()
        except BaseException:
            # Shielded so that a cancelled task still rolls back and returns its connection.
            await asyncio.shield(_discard(connection, tx))
            raise
        else:
            await asyncio.shield(_close(connection, tx))
        await uow.deliver(manager.post_commit_hooks)


async def _set_trace_id(connection: AsyncConnection, trace_id: str) -> None:
    from sqlalchemy import text

    await connection.execute(
        text("SELECT set_config('loom.trace_id', :trace_id, true)"), {"trace_id": trace_id}
    )


async def _close(connection: AsyncConnection, tx: Transaction | None) -> None:
    if tx is not None and tx._session is not None:
        await tx._session.close()
    connection.info.pop("loom_read_only", None)
    await connection.close()


async def _discard(connection: AsyncConnection, tx: Transaction | None) -> None:
    try:
        if connection.in_transaction():
            await connection.rollback()
    finally:
        await _close(connection, tx)
