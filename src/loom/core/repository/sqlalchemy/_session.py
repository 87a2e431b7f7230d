"""``SessionManager``: the engine, its pool, transactions and the post-commit channel."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import AsyncAdaptedQueuePool

from loom.core.events import MutationEvent, SupportsPostCommit
from loom.core.query import CursorCodec
from loom.core.repository.sqlalchemy._session_events import (
    COMMITTED_KEY,
    RecordingSession,
    session_info,
)
from loom.core.repository.sqlalchemy._transaction import Transaction, TransactionRunner
from loom.core.transaction import Propagation, UnitOfWork

_SQLITE_POOL_ARGS = ("pool_size", "max_overflow", "pool_timeout", "pool_recycle")


class SessionManager:
    """Async engine with pooling, transactions with propagation, and post-commit hooks.

    Args:
        url: SQLAlchemy database URL (``postgresql+asyncpg://...``, ``sqlite+aiosqlite:///...``).
        echo: Log every statement.
        pool_pre_ping: Test connections before handing them out.
        pool_size: Connections kept open (in-memory SQLite always uses its one connection,
            one transaction at a time).
        max_overflow: Connections opened beyond ``pool_size`` under load.
        pool_timeout: Seconds to wait for a free connection.
        pool_recycle: Reopen connections older than this many seconds.
        connect_args: Passed to the DBAPI ``connect()``.
        inject_trace_id: In write transactions, make the current trace id visible to
            PostgreSQL as the transaction setting ``loom.trace_id``
            (``current_setting('loom.trace_id', true)``). It costs one statement per write
            transaction, only when a trace id is set; the kernel enables it with
            ``trace.database: true``.
        **engine_kwargs: Passed to :func:`sqlalchemy.ext.asyncio.create_async_engine`.
    """

    def __init__(
        self,
        url: str,
        *,
        echo: bool = False,
        pool_pre_ping: bool = True,
        pool_size: int | None = 10,
        max_overflow: int | None = 20,
        pool_timeout: int | None = 30,
        pool_recycle: int | None = 1800,
        connect_args: dict[str, object] | None = None,
        inject_trace_id: bool = True,
        **engine_kwargs: object,
    ) -> None:
        parsed = make_url(url)
        self.dialect_name = parsed.get_backend_name()
        options: dict[str, Any] = {
            "echo": echo,
            "pool_pre_ping": pool_pre_ping,
            "pool_size": pool_size,
            "max_overflow": max_overflow,
            "pool_timeout": pool_timeout,
            "pool_recycle": pool_recycle,
            **engine_kwargs,
        }
        if self.dialect_name == "sqlite":
            options.pop("pool_pre_ping")
            if parsed.database in (None, "", ":memory:") or "mode=memory" in str(url):
                for key in _SQLITE_POOL_ARGS:
                    options.pop(key, None)
                if "poolclass" not in engine_kwargs:
                    # An in-memory database lives in one connection. A queue pool of exactly
                    # that connection hands it to one transaction at a time (SQLAlchemy's
                    # default StaticPool would let two tasks interleave on it).
                    options.update(
                        poolclass=AsyncAdaptedQueuePool,
                        pool_size=1,
                        max_overflow=0,
                        pool_recycle=-1,
                        pool_timeout=pool_timeout or 30,
                    )
        options = {k: v for k, v in options.items() if v is not None}
        if connect_args:
            options["connect_args"] = dict(connect_args)
        self._engine = create_async_engine(url, **options)
        self._session_factory = async_sessionmaker(
            self._engine, expire_on_commit=False, sync_session_class=RecordingSession
        )
        self.inject_trace_id = inject_trace_id and self.dialect_name == "postgresql"
        self._hooks: list[SupportsPostCommit] = []
        self.base: type[Any] | None = None
        """Declarative base repositories compile their models into (``Base`` when ``None``)."""
        self.cursor_codec: CursorCodec | None = None
        """Signs the cursors of this manager's repositories (the kernel sets it)."""
        self.max_limit = 1000
        self.hook_failures = 0
        """Post-commit hooks that raised since start (the ``/metrics`` gauge reads it)."""
        """Largest page the repositories of this manager accept."""
        self._runner = TransactionRunner(self)
        self._install_listeners()

    @property
    def engine(self) -> AsyncEngine:
        """The underlying async SQLAlchemy engine."""
        return self._engine

    @property
    def session_factory(self) -> async_sessionmaker[AsyncSession]:
        """The async session factory bound to the engine."""
        return self._session_factory

    @property
    def post_commit_hooks(self) -> list[SupportsPostCommit]:
        """Hooks called with the events of each committed outermost transaction."""
        return self._hooks

    def add_post_commit_hook(self, hook: SupportsPostCommit) -> None:
        """Call ``hook.on_transaction_committed(events)`` after every successful commit."""
        if hook not in self._hooks:
            self._hooks.append(hook)

    def remove_post_commit_hook(self, hook: SupportsPostCommit) -> None:
        """Stop calling ``hook``."""
        if hook in self._hooks:
            self._hooks.remove(hook)

    def transaction(
        self,
        propagation: Propagation | str = Propagation.REQUIRED,
        *,
        read_only: bool = False,
        isolation_level: str | None = None,
        lazy: bool = False,
    ) -> contextlib.AbstractAsyncContextManager[Transaction | None]:
        """Open (or join) a transaction: ``async with sm.transaction() as tx: ...``.

        Args:
            propagation: How to relate to a transaction already open in this task.
            read_only: Refuse writes (``READ ONLY`` on PostgreSQL).
            isolation_level: ``"SERIALIZABLE"``, ``"REPEATABLE READ"``, ... for a new transaction.
            lazy: With ``read_only``, take the connection only when a statement needs it (a
                read answered from the cache then costs no database round trip).

        Returns:
            A context manager yielding the :class:`Transaction`, or ``None`` for the
            propagations that run without one (``SUPPORTS`` outside one, ``NOT_SUPPORTED``,
            ``NEVER``).
        """
        return self._runner.open(Propagation(propagation), read_only, isolation_level, lazy)

    def current(self) -> Transaction | None:
        """The transaction of this manager open in this task, if any."""
        return self._runner.current()

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """Yield an ``AsyncSession``: the current transaction's, or a new one closed on exit.

        A new session's writes that it committed are delivered to the post-commit hooks when
        the block ends (inside a transaction, its own commit delivers them).
        """
        current = self._runner.current()
        if current is not None:
            yield current.session
            return
        committed: list[MutationEvent] = []
        info = {**session_info(UnitOfWork(), self.base), COMMITTED_KEY: committed}
        async with self._session_factory(info=info) as session:
            yield session
        if committed:
            self.hook_failures += await UnitOfWork(events=committed).deliver(self._hooks)

    async def create_all(self, base: type[Any] | None = None) -> None:
        """Create the tables of ``base`` (``Base`` by default) that do not exist yet."""
        from loom.core.repository.sqlalchemy._compiler import registry_for

        registry = registry_for(base)
        registry.check_foreign_keys()
        async with self._engine.begin() as conn:
            await conn.run_sync(registry.metadata.create_all)

    async def dispose(self) -> None:
        """Dispose of the engine and release all pooled connections."""
        await self._engine.dispose()

    def _install_listeners(self) -> None:
        sync_engine = self._engine.sync_engine
        if self.dialect_name == "sqlite":

            @event.listens_for(sync_engine, "connect")
            def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
                cursor = dbapi_connection.cursor()
                # Foreign keys are off by default in SQLite; the busy timeout lets a second
                # writer wait for the lock instead of failing at once.
                cursor.execute("PRAGMA foreign_keys=ON")
                cursor.execute("PRAGMA busy_timeout=5000")
                cursor.close()
