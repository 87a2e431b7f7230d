"""``OutboxRelay``: claims due messages, hands them to a publisher, records the outcome.

Delivery is at least once: a message is marked sent only after the publisher returned, so a
relay that dies in between leaves a claim that expires and the message goes out again, with the
same id. Failures are retried with exponential backoff and jitter, then dead-lettered.

Up to ``concurrency`` deliveries run at once, and a round claims no more messages than there are
free slots, so a slow delivery (an inline job) holds one slot, never the rest of the relay. The
store never hands out a message while an earlier one of its ordering key is pending, so a key's
order holds however many deliveries run. While deliveries run, a heartbeat renews their claims,
so a delivery slower than the lease is not claimed (and run) again by another relay.

Nothing stops the loop. A database that does not answer, or an outbox table that does not
exist, is logged once when it starts and once when it ends, and waited out with backoff; a
delivery whose outcome cannot be written yet keeps its claim and writes it when the database
answers again.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import random
import socket
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from loom.core.errors import JobError
from loom.core.events import MutationEvent
from loom.core.outbox._claims import RunningDeliveries
from loom.core.outbox._message import OUTBOX_ENTITY, Clock, OutboxMessage, utc_now
from loom.core.outbox._outage import Backoff, OutageLog, backoff_delay, describe, is_unavailable
from loom.core.outbox._ports import OutboxStore, Publisher

logger = logging.getLogger("loom.outbox")

CrashHook = Callable[[str, OutboxMessage], None]
"""Called at named points of a delivery (``"published"``); tests raise from it to crash."""


@dataclass(frozen=True, slots=True)
class RelaySettings:
    """How a relay polls and retries (the ``outbox`` config section).

    Attributes:
        batch_size: Most messages claimed per round.
        poll_interval: Seconds between rounds when idle and not woken.
        max_attempts: Failed deliveries after which a message is dead-lettered.
        backoff_base: Delay before the first retry, in seconds; doubled per failure.
        backoff_max: Longest retry delay, in seconds.
        lease: Seconds a claim lasts unless renewed; running deliveries renew theirs every
            third of it, so it only needs to outlast a relay that died.
        retention: Seconds a sent message is kept before the relay deletes it (``0``: kept
            forever). Dead letters are never deleted.
        concurrency: Deliveries (inline jobs, publishes) running at once.
    """

    batch_size: int = 100
    poll_interval: float = 1.0
    max_attempts: int = 10
    backoff_base: float = 1.0
    backoff_max: float = 300.0
    lease: float = 60.0
    retention: float = 604800.0
    concurrency: int = 10


class OutboxRelay:
    """Moves committed messages from an :class:`OutboxStore` to a :class:`Publisher`.

    Args:
        store: Where messages wait.
        publisher: Where they go.
        settings: Batch size, concurrency, polling and retry policy.
        relay_id: Name recorded in claims (host, process and a random suffix by default).
        clock: The time source (tests move it forward to expire claims).
        rng: Random numbers in ``[0, 1)`` for the jitter.
        crash_hook: Test hook, see :data:`CrashHook`.
    """

    def __init__(
        self,
        store: OutboxStore,
        publisher: Publisher,
        settings: RelaySettings | None = None,
        *,
        relay_id: str | None = None,
        clock: Clock = utc_now,
        rng: Callable[[], float] = random.random,
        crash_hook: CrashHook | None = None,
    ) -> None:
        self.store = store
        self.publisher = publisher
        self.settings = settings or RelaySettings()
        self.relay_id = relay_id or f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}"
        self.clock = clock
        self.rng = rng
        self.crash_hook = crash_hook
        self._wake = asyncio.Event()
        self._progress = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._next_due: datetime | None = None
        self._next_purge: datetime | None = None
        self._running = RunningDeliveries(
            store, self.relay_id, self.settings.lease, lambda: self.clock()
        )
        self._saturated = False
        self._outage = OutageLog(
            logger,
            f"outbox relay {self.relay_id}",
            "messages wait in the outbox; trying again with backoff until it answers",
        )
        self._outage_backoff = Backoff.for_outages(
            self.settings.poll_interval, self.settings.backoff_max
        )

    @property
    def in_flight(self) -> int:
        """Deliveries running now."""
        return len(self._running)

    # -- one round ---------------------------------------------------------------------------

    async def run_once(self) -> int:
        """Claim what the free slots allow, deliver it, and wait for those deliveries.

        Returns:
            How many messages were claimed.

        Raises:
            Exception: A storage error, or what the crash hook raised.
        """
        now = self.clock()
        batch = await self._claim(now)
        if batch:
            deliveries = [self._start(message, watched=True) for message in batch]
            results = await asyncio.gather(*deliveries, return_exceptions=True)
            for result in results:
                if isinstance(result, BaseException):
                    raise result
        await self._purge_when_due(now)
        return len(batch)

    async def _claim(self, now: datetime) -> list[OutboxMessage]:
        free = self.settings.concurrency - len(self._running)
        if free <= 0:
            return []
        limit = min(self.settings.batch_size, free)
        batch = await self.store.claim(self.relay_id, limit, now, self.settings.lease)
        self._saturated = len(batch) == limit
        # A claim of ours that expired during an outage comes back to us: it is running here.
        return [message for message in batch if message.id not in self._running]

    async def _purge_when_due(self, now: datetime) -> None:
        # At most once per poll interval, even while a backlog keeps rounds back to back.
        if self.settings.retention <= 0:
            return
        if self._next_purge is not None and now < self._next_purge:
            return
        self._next_purge = now + timedelta(seconds=self.settings.poll_interval)
        await self.purge(now)

    async def purge(self, now: datetime | None = None) -> int:
        """Delete up to ``batch_size`` messages sent more than ``retention`` seconds ago.

        :meth:`run_once` calls it at most once per ``poll_interval`` (from its second round on);
        a backlog of old rows thus goes away a batch at a time, never in one long statement.
        Dead letters stay. Returns how many were deleted (``0`` when ``retention`` is ``0``).
        """
        if self.settings.retention <= 0:
            return 0
        before = (now or self.clock()) - timedelta(seconds=self.settings.retention)
        purged = await self.store.purge_sent(before, self.settings.batch_size)
        if purged:
            logger.debug("outbox relay purged %d sent message(s) older than %s", purged, before)
        return purged

    # -- one delivery ------------------------------------------------------------------------

    def _start(self, message: OutboxMessage, *, watched: bool) -> asyncio.Task[None]:
        """Deliver ``message`` in a task of its own, its claim renewed while it runs.

        ``watched``: the caller awaits the task and sees its error; otherwise it is logged here.
        """
        task = asyncio.create_task(self._deliver(message), name=f"loom-outbox-{message.id}")
        self._running.add(message.id, task)
        task.add_done_callback(lambda done: self._finished(message, done, watched))
        return task

    def _finished(self, message: OutboxMessage, task: asyncio.Task[None], watched: bool) -> None:
        self._running.remove(message.id, task)
        error = None if task.cancelled() else task.exception()
        if error is not None and not watched:
            logger.error(
                "outbox relay %s: the delivery of message %s (%s) broke off; its claim expires "
                "and it is delivered again",
                self.relay_id,
                message.id,
                message.topic,
                exc_info=error,
            )
        # The next message of its key may be due now; a backlog waits until half the slots
        # are free, so that claims stay batches rather than one row per finished delivery.
        free = self.settings.concurrency - len(self._running)
        if message.ordering_key is not None or (
            self._saturated and free >= max(1, self.settings.concurrency // 2)
        ):
            self._wake.set()
        self._signal_progress()

    async def _deliver(self, message: OutboxMessage) -> None:
        try:
            await self.publisher.publish(message)
        except Exception as exc:
            await self._failed(message, exc)
            return
        if self.crash_hook is not None:
            self.crash_hook("published", message)
        await self._settle(message, lambda: self.store.mark_sent(message.id, self.clock()))

    async def _settle(self, message: OutboxMessage, write: Callable[[], Awaitable[None]]) -> None:
        """Write a delivery's outcome, waiting out a database that does not answer.

        The claim is kept meanwhile (the heartbeat renews it once the database answers); a
        relay stopping gives up and lets the claim expire, so the message is delivered again.
        """
        failures = 0
        while True:
            try:
                await write()
            except Exception as exc:
                if not is_unavailable(exc):
                    raise
                if self._stopping:
                    logger.warning(
                        "outbox relay %s stops before recording the delivery of message %s "
                        "(%s); its claim expires and it is delivered again",
                        self.relay_id,
                        message.id,
                        exc,
                    )
                    return
                failures += 1
                self._outage.failed(exc)
                await asyncio.sleep(self._outage_backoff.delay(failures, self.rng))
                continue
            self._outage.recovered()
            return

    async def _failed(self, message: OutboxMessage, exc: Exception) -> None:
        failures = message.attempts + 1
        error = describe(exc)
        retry_at: datetime | None = None
        if failures >= self.settings.max_attempts:
            logger.error(
                "outbox message %s (%s) dead-lettered after %d failed deliveries: %s",
                message.id,
                message.topic,
                failures,
                error,
            )
        else:
            delay = backoff_delay(
                failures, self.settings.backoff_base, self.settings.backoff_max, self.rng
            )
            retry_at = self.clock() + timedelta(seconds=delay)
            logger.warning(
                "outbox message %s (%s) failed (attempt %d of %d), retried in %.3fs: %s",
                message.id,
                message.topic,
                failures,
                self.settings.max_attempts,
                delay,
                error,
            )
        await self._settle(
            message,
            functools.partial(self.store.mark_failed, message.id, self.relay_id, error, retry_at),
        )
        if retry_at is not None and (self._next_due is None or retry_at < self._next_due):
            self._next_due = retry_at

    # -- the loop ----------------------------------------------------------------------------

    def wake(self) -> None:
        """Start the next round now (called after a commit that wrote outbox rows)."""
        self._wake.set()

    @property
    def running(self) -> bool:
        """Whether the loop task is alive."""
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        """Run the loop in a background task."""
        if self.running:
            return
        self._stopping = False
        self._task = asyncio.create_task(self._loop(), name=f"loom-outbox-relay-{self.relay_id}")

    async def stop(self, grace: float = 5.0) -> None:
        """Stop claiming; let running deliveries finish (up to ``grace`` seconds), then end.

        Deliveries cut short leave claims that expire: those messages are delivered again later.
        """
        task, self._task = self._task, None
        if task is None:
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        self._stopping = True
        self._wake.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), grace)
        except TimeoutError:
            await _cancel(task)
        running = list(self._running.tasks.values())
        if running:
            _, late = await asyncio.wait(running, timeout=max(0.0, deadline - loop.time()))
            for delivery in late:
                await _cancel(delivery)
        await self._running.stop()

    async def _loop(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                now = self.clock()
                for message in await self._claim(now):
                    self._start(message, watched=False)
                await self._purge_when_due(now)
            except Exception as exc:
                self._outage.failed(exc)
                self._signal_progress()
                await self._sleep(self._outage_backoff.delay(self._outage.failures, self.rng))
                continue
            self._outage.recovered()
            self._signal_progress()
            if self._saturated and len(self._running) < self.settings.concurrency:
                continue  # a backlog and free slots: claim more at once
            # Woken early by commits that wrote the outbox and by deliveries that free a slot.
            await self._sleep(self._idle_delay())

    def _idle_delay(self) -> float:
        delay = self.settings.poll_interval
        if self._next_due is not None:
            until_due = (self._next_due - self.clock()).total_seconds()
            self._next_due = None
            delay = max(0.0, min(delay, until_due))
        return delay

    def _signal_progress(self) -> None:
        self._progress.set()
        self._progress = asyncio.Event()

    async def _sleep(self, seconds: float) -> None:
        if self._stopping or self._wake.is_set():
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)

    # -- waiting for it ----------------------------------------------------------------------

    async def drain(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109 (documented API)
        """Wait until no message is pending (dead letters do not count).

        With the loop running, its rounds and deliveries are awaited; without it, rounds are
        run here.

        Raises:
            JobError: Messages are still pending after ``timeout`` seconds.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while await self.store.pending_count():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise JobError(
                    f"outbox drain timed out after {timeout}s with "
                    f"{await self.store.pending_count()} message(s) pending; look for failing "
                    "deliveries in the 'loom.outbox' log or raise the timeout",
                    code="drain_timeout",
                )
            if self.running:
                progress = self._progress
                if not self._running:
                    self.wake()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(progress.wait(), remaining)
            elif not await self.run_once():
                # Only messages waiting out a backoff are left: sleep until the first is due.
                await asyncio.sleep(min(remaining, self._idle_delay()))


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task


class RelayWaker:
    """Post-commit hook waking a relay when a committed transaction wrote outbox rows."""

    def __init__(self, relay: OutboxRelay) -> None:
        self.relay = relay

    async def on_transaction_committed(self, events: tuple[MutationEvent, ...]) -> None:
        """Wake the relay if the outbox was written."""
        if any(event.entity == OUTBOX_ENTITY for event in events):
            self.relay.wake()
