"""The unit of work of the outermost transaction, visible through a context variable."""

from __future__ import annotations

import contextvars
import enum
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from loom.core.events import MutationEvent, SupportsPostCommit

logger = logging.getLogger("loom.transaction")

BeforeCommit = Callable[["UnitOfWork"], Awaitable[None]]


class Propagation(enum.StrEnum):
    """How a transactional call relates to a transaction already open in the task."""

    REQUIRED = "REQUIRED"
    """Join the current transaction, or open one."""
    REQUIRES_NEW = "REQUIRES_NEW"
    """Always open an independent transaction on its own connection."""
    NESTED = "NESTED"
    """Open a SAVEPOINT inside the current transaction (or a transaction when there is none)."""
    MANDATORY = "MANDATORY"
    """Join the current transaction; fail when there is none."""
    SUPPORTS = "SUPPORTS"
    """Join the current transaction if there is one; otherwise run without one."""
    NOT_SUPPORTED = "NOT_SUPPORTED"
    """Run outside any transaction, suspending the current one."""
    NEVER = "NEVER"
    """Fail when a transaction is open."""


@dataclass(eq=False)
class UnitOfWork:
    """What one outermost transaction has done, and what must happen when it commits.

    Attributes:
        read_only: Whether writes are refused.
        events: Mutation events recorded so far, delivered after a successful commit.
        before_commit: Callbacks awaited just before COMMIT, inside the transaction (the
            outbox writes its rows here).
        items: Per-transaction storage for collaborators (jobs waiting for the outbox, ...).
    """

    read_only: bool = False
    events: list[MutationEvent] = field(default_factory=list)
    before_commit: list[BeforeCommit] = field(default_factory=list)
    items: dict[str, Any] = field(default_factory=dict)

    def record(self, event: MutationEvent) -> None:
        """Record a write for delivery after commit."""
        self.events.append(event)

    def mark(self) -> int:
        """A position to roll back to when a savepoint is released with an error."""
        return len(self.events)

    def rollback_to(self, mark: int) -> None:
        """Forget the events recorded after ``mark`` (their savepoint rolled back)."""
        del self.events[mark:]

    @property
    def wrote(self) -> bool:
        """Whether this transaction has recorded a write."""
        return bool(self.events)

    async def run_before_commit(self) -> None:
        """Await the before-commit callbacks; a callback may add further callbacks."""
        index = 0
        while index < len(self.before_commit):
            await self.before_commit[index](self)
            index += 1

    async def deliver(self, hooks: list[SupportsPostCommit]) -> int:
        """Hand the recorded events to post-commit hooks; a failing hook is logged, not raised.

        Returns:
            How many hooks failed (the caller counts them in a metric).
        """
        events = tuple(self.events)
        self.events.clear()
        if not events:
            return 0
        failures = 0
        for hook in hooks:
            try:
                await hook.on_transaction_committed(events)
            except Exception:
                failures += 1
                logger.exception(
                    "post-commit hook %s failed; the transaction stays committed",
                    type(hook).__name__,
                )
        return failures


_current: contextvars.ContextVar[UnitOfWork | None] = contextvars.ContextVar(
    "loom_unit_of_work", default=None
)


def current_unit_of_work() -> UnitOfWork | None:
    """The unit of work of the transaction open in this task, if any."""
    return _current.get()


def in_write_transaction() -> bool:
    """Whether this task is inside a transaction that may write.

    The cache uses it to neither read from nor populate the cache with data a transaction may
    have changed but not committed.
    """
    uow = _current.get()
    return uow is not None and not uow.read_only


def _set_current(uow: UnitOfWork | None) -> contextvars.Token[UnitOfWork | None]:
    return _current.set(uow)


def _reset_current(token: contextvars.Token[UnitOfWork | None]) -> None:
    _current.reset(token)
