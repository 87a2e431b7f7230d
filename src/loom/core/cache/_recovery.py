"""What a resolver does once its counter backend failed: invalidations that outlive the failure.

- A bump that cannot be delivered is recorded in the :class:`InvalidationJournal` (after the
  commit, before the write call returns) and the writer waits, at most ``wait`` seconds, until
  some process applied it -- replaced the global epoch, which every cached read fetches with its
  counters. So once the write returned, no process serves the old value, unless no process
  reached the counter backend within ``wait``; the writer then stops waiting while that backlog
  lasts.
- A resolver that saw its counter backend fail (a read, a bump, an attempt to apply) is
  *blocked*: it serves nothing from the cache until it has applied every recorded
  invalidation (replaced the epoch if the journal holds any, or if the journal cannot be read,
  or if its own lost bump could not be recorded) and removed them from the journal.
- Without a journal only the process that lost a bump is blocked, until it replaced the epoch
  itself; other processes keep serving what they cached.

Imports the standard library and ``loom.core`` only.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence

from loom.core.cache._journal import InvalidationJournal

logger = logging.getLogger("loom.cache")

WAIT_STEP = 0.05
"""Seconds between two looks at the journal while a writer waits for its record to be applied."""


class Recovery:
    """The blocked state of one resolver and the journal it records lost bumps in.

    Args:
        journal: Where lost invalidations are recorded (``None``: nowhere durable).
        reset_epoch: Replaces the global epoch; ``True`` once the counter backend took it.
        wait: Seconds a writer waits for another process to apply its recorded invalidation.
        retry_after: Seconds between two attempts to unblock while the backend is down.
        clock: Monotonic clock.
    """

    def __init__(
        self,
        journal: InvalidationJournal | None,
        reset_epoch: Callable[[], Awaitable[bool]],
        *,
        wait: float = 2.0,
        retry_after: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.journal = journal
        self.wait = wait
        # With a journal a new process starts blocked: its first cached read catches up on
        # invalidations recorded before it started (a writer that died while Redis was out).
        self.blocked = journal is not None
        """Serve nothing from the cache until :meth:`unblock` succeeds."""
        self._reset_epoch = reset_epoch
        self._retry_after = retry_after
        self._clock = clock
        self._owed = False
        self._failures = 0
        self._busy = False
        self._retry_at = 0.0
        self._journal_down = False

    def drop_journal(self) -> None:
        """Go on without a journal (its storage does not exist): only lost bumps block."""
        self.journal = None
        self.blocked = self._owed

    def saw_failure(self) -> None:
        """The counter backend did not answer this process: block until the journal is applied.

        Without a journal there is nothing to catch up on (lost bumps block by themselves).
        """
        if self.journal is not None:
            self._failures += 1
            self.blocked = True

    async def lost(self, tags: Sequence[str]) -> None:
        """A committed write's bump was not delivered: block, record it, wait for it to apply.

        Never raises: the transaction is committed whatever happens here.
        """
        self._failures += 1
        self.blocked = True
        journal = self.journal
        if journal is None:
            self._owed = True
            logger.warning(
                "cache invalidation of %d tag(s) could not be delivered; this process serves "
                "no cached value until it replaced the cache epoch, and other processes keep "
                "their entries until then (the kernel records lost invalidations in the "
                "database; pass journal= to a hand-built resolver to do the same)",
                len(tags),
            )
            return
        try:
            record_id = await journal.record(sorted(tags))
        except Exception as exc:
            self._owed = True
            logger.error(
                "cache invalidation of %d tag(s) was lost: the cache did not answer and "
                "recording the invalidation in the database failed (%r); other processes may "
                "serve the previous values until their TTL ends",
                len(tags),
                exc,
            )
            return
        self._journal_ok()
        logger.warning(
            "cache unreachable: invalidation of %d tag(s) recorded in the database (#%s); the "
            "first process that reaches the cache applies it by replacing the cache epoch",
            len(tags),
            record_id,
        )
        if self.wait <= 0:
            return
        try:
            if await journal.backlog(self.wait):
                return  # earlier records wait already: no process reaches the cache now
        except Exception:
            return
        await self._until_applied(journal, record_id)

    async def _until_applied(self, journal: InvalidationJournal, record_id: int) -> None:
        deadline = self._clock() + self.wait
        while True:
            try:
                if not await journal.contains(record_id):
                    return
            except Exception:
                return
            if self._clock() >= deadline:
                logger.warning(
                    "no process applied the recorded cache invalidation #%s within %.1fs (none "
                    "reaches the cache); processes that saw the cache fail serve no cached "
                    "value until one applies it",
                    record_id,
                    self.wait,
                )
                return
            if await self.unblock():
                return  # this process reaches the cache again and applied it itself
            await asyncio.sleep(WAIT_STEP)

    async def unblock(self) -> bool:
        """Apply what the journal holds so this process may serve cached values again.

        Returns:
            ``True`` when the resolver is no longer blocked.
        """
        if not self.blocked:
            return True
        if self._busy or self._clock() < self._retry_at:
            return False
        self._busy = True
        failures = self._failures
        try:
            applied = await self._apply(force=self._owed)
        finally:
            self._busy = False
        if not applied:
            self._retry_at = self._clock() + self._retry_after
            return False
        if failures != self._failures:
            return False  # the backend failed again meanwhile: try once more later
        self.blocked = False
        self._owed = False
        return True

    async def apply_pending(self) -> None:
        """Apply the journal's records, if any (the background poll of every process)."""
        if self.journal is None:
            return
        if self.blocked:
            await self.unblock()
            return
        ids = await self._pending()
        if not ids:
            return
        if not await self._reset_epoch():
            self.saw_failure()  # it knows of unapplied records: serve nothing until applied
            return
        await self._remove(ids)

    async def _apply(self, *, force: bool) -> bool:
        ids: list[int] = []
        known = True
        if self.journal is not None:
            pending = await self._pending()
            known = pending is not None
            ids = pending or []
        if not (force or not known or ids):
            return True
        # The records read before the epoch moves are applied by that move.
        if not await self._reset_epoch():
            return False
        if ids:
            await self._remove(ids)
        else:
            logger.warning(
                "cache epoch replaced (%s); cached values reload",
                "after an invalidation this process could not deliver"
                if force
                else "the invalidation journal could not be read",
            )
        return True

    async def _pending(self) -> list[int] | None:
        assert self.journal is not None
        try:
            ids = await self.journal.pending()
        except Exception as exc:
            if not self._journal_down:
                self._journal_down = True
                logger.warning(
                    "cannot read the cache invalidation journal (%r); the cache epoch is "
                    "replaced instead whenever this process must catch up. If its table is "
                    "missing, create it (database.schema: create_all, or a migration)",
                    exc,
                )
            return None
        self._journal_ok()
        return ids

    async def _remove(self, ids: list[int]) -> None:
        assert self.journal is not None
        try:
            await self.journal.remove(ids)
        except Exception as exc:
            # Left in the journal: applied once more later, one extra epoch change.
            logger.warning("applied cache invalidations could not be removed: %r", exc)
            return
        logger.warning(
            "cache epoch replaced: %d invalidation(s) recorded while the cache was unreachable "
            "are applied",
            len(ids),
        )

    def _journal_ok(self) -> None:
        if self._journal_down:
            self._journal_down = False
            logger.warning("the cache invalidation journal answers again")
