"""``RunningDeliveries``: the deliveries a relay runs, and the heartbeat renewing their claims.

A claim lasts ``outbox.lease`` seconds unless renewed; while deliveries run, one heartbeat task
renews all their claims every third of the lease, so a job slower than the lease is not claimed
(and run) again by another relay. Imports only the standard library and ``loom.core``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from loom.core.outbox._message import Clock
from loom.core.outbox._ports import OutboxStore

logger = logging.getLogger("loom.outbox")


class RunningDeliveries:
    """The running deliveries of one relay, by message id, and their heartbeat.

    Args:
        store: Where the claims live.
        relay_id: Whose claims they are.
        lease: Seconds each renewal extends a claim by.
        clock: The relay's time source (read at each renewal).
    """

    def __init__(self, store: OutboxStore, relay_id: str, lease: float, clock: Clock) -> None:
        self.store = store
        self.relay_id = relay_id
        self.lease = lease
        self.clock = clock
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self._lost: set[str] = set()
        self._heartbeat: asyncio.Task[None] | None = None
        self._renewing = False

    def __len__(self) -> int:
        return len(self.tasks)

    def __contains__(self, message_id: object) -> bool:
        return message_id in self.tasks

    def add(self, message_id: str, task: asyncio.Task[None]) -> None:
        """Track ``task``, delivering ``message_id``; start the heartbeat if it is not running."""
        self.tasks[message_id] = task
        if self._heartbeat is None or self._heartbeat.done():
            self._heartbeat = asyncio.create_task(
                self._beat(), name=f"loom-outbox-heartbeat-{self.relay_id}"
            )

    def remove(self, message_id: str, task: asyncio.Task[None]) -> None:
        """Forget ``task`` (it ended); end the heartbeat when nothing is left to renew."""
        if self.tasks.get(message_id) is task:
            del self.tasks[message_id]
        self._lost.discard(message_id)
        if not self.tasks and self._heartbeat is not None and not self._renewing:
            # A renewal under way ends the heartbeat by itself rather than being cut off
            # mid-statement; the next delivery starts another.
            self._heartbeat.cancel()
            self._heartbeat = None

    async def stop(self) -> None:
        """End the heartbeat."""
        heartbeat, self._heartbeat = self._heartbeat, None
        if heartbeat is not None:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat

    async def _beat(self) -> None:
        while self.tasks:
            await asyncio.sleep(self.lease / 3)
            running = [i for i, task in self.tasks.items() if not task.done()]
            if not running:
                continue
            self._renewing = True
            try:
                held = set(await self.store.renew(self.relay_id, running, self.clock(), self.lease))
            except Exception as exc:
                # The relay's loop logs an outage; the claims are renewed once it answers.
                logger.debug("outbox relay %s could not renew its claims: %r", self.relay_id, exc)
                continue
            finally:
                self._renewing = False
            for message_id in running:
                task = self.tasks.get(message_id)
                if message_id in held or message_id in self._lost or task is None or task.done():
                    continue
                self._lost.add(message_id)
                logger.warning(
                    "outbox relay %s lost its claim on message %s while delivering it (its "
                    "claim could not be renewed within outbox.lease); another relay may deliver "
                    "it again",
                    self.relay_id,
                    message_id,
                )
