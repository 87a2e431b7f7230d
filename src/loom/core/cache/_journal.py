"""``InvalidationJournal``: where an invalidation that could not reach the counters waits.

When a committed write cannot bump its counters (Redis unreachable from the writing process),
the intent to invalidate is recorded durably -- in the application's database, by the SQLAlchemy
adapter -- and any process that reaches the counter backend applies it by replacing the global
epoch. :class:`MemoryInvalidationJournal` is the in-process fake for tests (processes are then
resolvers sharing one journal object).

Imports the standard library only.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

Wake = Callable[[], None]
"""Called (from the event loop) when another process recorded an invalidation."""


@runtime_checkable
class JournalListener(Protocol):
    """A subscription to the journal's announcements (PostgreSQL ``LISTEN``)."""

    @property
    def alive(self) -> bool:
        """Whether announcements still arrive (a dropped connection ends them)."""
        ...

    async def close(self) -> None:
        """Stop listening and release the connection."""
        ...


@runtime_checkable
class InvalidationJournal(Protocol):
    """Durable record of invalidations the counter backend did not receive."""

    async def ready(self) -> bool:
        """Whether the journal's storage exists (its table was created)."""
        ...

    async def record(self, tags: Sequence[str]) -> int:
        """Record one lost invalidation in a transaction of its own, committed on return.

        Args:
            tags: The tags the lost bump would have moved (kept for diagnostics; applying any
                intent replaces the global epoch).

        Returns:
            The record's id.
        """
        ...

    async def pending(self, limit: int = 1000) -> list[int]:
        """Ids of recorded invalidations nobody applied yet, oldest first."""
        ...

    async def contains(self, record_id: int) -> bool:
        """Whether ``record_id`` still waits to be applied."""
        ...

    async def backlog(self, older_than: float) -> bool:
        """Whether an invalidation has waited more than ``older_than`` seconds (then no
        process is applying them: none reaches the counter backend)."""
        ...

    async def remove(self, record_ids: Sequence[int]) -> None:
        """Forget applied invalidations."""
        ...

    async def listen(self, wake: Wake) -> JournalListener | None:
        """Call ``wake`` whenever another process records an invalidation.

        Returns:
            The subscription, or ``None`` when the storage cannot announce records (then
            readers poll).
        """
        ...


class _MemoryListener:
    def __init__(self, journal: MemoryInvalidationJournal, wake: Wake) -> None:
        self._journal = journal
        self._wake = wake
        self.alive = True

    async def close(self) -> None:
        self.alive = False
        if self._wake in self._journal._listeners:
            self._journal._listeners.remove(self._wake)


class MemoryInvalidationJournal:
    """An :class:`InvalidationJournal` in a dict, for tests and single-process use.

    Args:
        clock: Seconds (monotonic), for :meth:`backlog`.
        fail: When it returns ``True``, every call raises ``OSError`` (a database that is
            down).
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        fail: Callable[[], bool] = lambda: False,
    ) -> None:
        self._clock = clock
        self._fail = fail
        self._records: dict[int, tuple[float, tuple[str, ...]]] = {}
        self._ids = itertools.count(1)
        self._listeners: list[Wake] = []

    def _check(self) -> None:
        if self._fail():
            raise OSError("invalidation journal unavailable")

    async def ready(self) -> bool:
        """Always: a dict needs no table."""
        self._check()
        return True

    async def record(self, tags: Sequence[str]) -> int:
        """Record one lost invalidation and announce it to listeners."""
        self._check()
        record_id = next(self._ids)
        self._records[record_id] = (self._clock(), tuple(tags))
        for wake in list(self._listeners):
            wake()
        return record_id

    async def pending(self, limit: int = 1000) -> list[int]:
        """Ids not applied yet, oldest first."""
        self._check()
        return sorted(self._records)[:limit]

    async def contains(self, record_id: int) -> bool:
        """Whether ``record_id`` waits."""
        self._check()
        return record_id in self._records

    async def backlog(self, older_than: float) -> bool:
        """Whether a record is older than ``older_than`` seconds."""
        self._check()
        cutoff = self._clock() - older_than
        return any(at < cutoff for at, _ in self._records.values())

    async def remove(self, record_ids: Sequence[int]) -> None:
        """Forget applied records."""
        self._check()
        for record_id in record_ids:
            self._records.pop(record_id, None)

    async def listen(self, wake: Wake) -> JournalListener:
        """Call ``wake`` on every record."""
        self._listeners.append(wake)
        return _MemoryListener(self, wake)
