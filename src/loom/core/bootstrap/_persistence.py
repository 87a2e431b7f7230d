"""The persistence port the kernel drives; the SQLAlchemy adapter implements it."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from loom.core.di import LoomContainer
from loom.core.events import SupportsPostCommit
from loom.core.repository.abc import RepoFor
from loom.core.transaction import Propagation

if TYPE_CHECKING:
    from loom.core.cache import InvalidationJournal
    from loom.core.job import JobLedger
    from loom.core.outbox import OutboxStore


class Persistence(Protocol):
    """What the kernel needs of a database adapter."""

    def transaction(
        self,
        propagation: Propagation | str = Propagation.REQUIRED,
        *,
        read_only: bool = False,
        lazy: bool = False,
    ) -> contextlib.AbstractAsyncContextManager[Any]:
        """Open or join a transaction; ``lazy`` read-only ones connect on the first statement."""
        ...

    def registration_module(self) -> Callable[[LoomContainer], None]:
        """A container module registering the adapter's services and every model's repository
        (keeping a ``DefaultRepositoryBuilder`` the application registered first)."""
        ...

    def repository(self, model: type[Any]) -> RepoFor[Any]:
        """The (uncached) repository of ``model``: its custom class or the default."""
        ...

    def add_post_commit_hook(self, hook: SupportsPostCommit) -> None:
        """Call ``hook`` with the events of every committed transaction."""
        ...

    def outbox_storage(self) -> tuple[OutboxStore, JobLedger]:
        """The outbox store and the job ledger in this database (their tables join the
        schema, so call it before :meth:`start`)."""
        ...

    def cache_journal(self) -> InvalidationJournal | None:
        """The journal of cache invalidations a shared cache did not receive, kept in this
        database; ``None`` when no other process can share the database (in-memory SQLite).
        Its table joins the schema, so call it before :meth:`start`."""
        ...

    async def start(self, *, create_schema: bool) -> None:
        """Open the database (and create missing tables when asked).

        Raises:
            BootError: The database cannot be reached or opened, saying where and what to do.
        """
        ...

    async def missing_tables(self) -> list[str]:
        """The tables of the models (and of the outbox) the database does not have yet.

        Raises:
            BootError: The database cannot be reached or opened.
        """
        ...

    async def ping(self) -> bool:
        """Whether the database answers a trivial query."""
        ...

    async def stop(self) -> None:
        """Release every connection."""
        ...
