"""``JournalApplier``: every process's background task that applies lost invalidations.

A process whose bump did not reach the counters records it in the journal and waits for some
process to apply it. Each kernel with a shared cache runs one applier: it catches up at start,
whenever the journal announces a record (PostgreSQL ``NOTIFY``), and every ``poll`` seconds
(databases that cannot announce, and announcements lost with a dropped connection). A process
that cannot reach the counters while records wait is blocked (it serves nothing from the
cache) until it has applied them.

Imports the standard library and ``loom.core`` only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from loom.core.cache._journal import InvalidationJournal, JournalListener
from loom.core.cache._resolver import GenerationalDependencyResolver

logger = logging.getLogger("loom.cache")


class JournalApplier:
    """Applies the journal's records through one resolver, in the background.

    Args:
        resolver: The process's resolver (it holds the journal and the blocked state).
        journal: The journal to listen to.
        poll: Seconds between two looks at the journal when nothing is announced.
    """

    def __init__(
        self,
        resolver: GenerationalDependencyResolver,
        journal: InvalidationJournal,
        *,
        poll: float = 1.0,
    ) -> None:
        self.resolver = resolver
        self.journal = journal
        self.poll = poll
        self._wake = asyncio.Event()
        self._listener: JournalListener | None = None
        self._announces = True
        """Whether the journal can announce records (``listen`` returned no subscription)."""
        self._listen_failed = False
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Catch up now (before the first request is served), then keep applying."""
        await self._listen()
        await self.resolver.apply_pending()
        self._task = asyncio.create_task(self._run(), name="loom-cache-journal")

    async def stop(self) -> None:
        """Stop applying and close the listening connection."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        listener, self._listener = self._listener, None
        if listener is not None:
            await listener.close()

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll)
            self._wake.clear()
            if self._announces and (self._listener is None or not self._listener.alive):
                await self._listen()
            try:
                await self.resolver.apply_pending()
            except Exception:
                # apply_pending absorbs storage failures; anything else is a bug, not a reason
                # to stop applying.
                logger.exception("applying lost cache invalidations failed")

    async def _listen(self) -> None:
        if self._listener is not None:
            await self._listener.close()
            self._listener = None
        try:
            self._listener = await self.journal.listen(self._wake.set)
        except Exception as exc:
            if not self._listen_failed:
                self._listen_failed = True
                logger.warning(
                    "cannot listen for recorded cache invalidations (%r); polling the journal "
                    "every %.1fs instead",
                    exc,
                    self.poll,
                )
            return
        if self._listener is None:
            self._announces = False
        elif self._listen_failed:
            self._listen_failed = False
            logger.warning("listening for recorded cache invalidations again")
