"""``OutboxRelay``: claims due messages, hands them to a publisher, records the outcome.

Delivery is at least once: a message is marked sent only after the publisher returned, so a
relay that dies in between leaves a claim that expires and the message goes out again, with the
same id. Failures are retried with exponential backoff and jitter, then dead-lettered. Nothing
stops the loop: storage and publisher errors are logged and waited out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from loom.core.errors import JobError
from loom.core.events import MutationEvent
from loom.core.outbox._message import OUTBOX_ENTITY, Clock, OutboxMessage, utc_now
from loom.core.outbox._ports import OutboxStore, Publisher

logger = logging.getLogger("loom.outbox")

CrashHook = Callable[[str, OutboxMessage], None]
"""Called at named points of a delivery (``"published"``); tests raise from it to crash."""


@dataclass(frozen=True, slots=True)
class RelaySettings:
    """How a relay polls and retries (the ``outbox`` config section).

    Attributes:
        batch_size: Messages claimed per round.
        poll_interval: Seconds between rounds when idle and not woken.
        max_attempts: Failed deliveries after which a message is dead-lettered.
        backoff_base: Delay before the first retry, in seconds; doubled per failure.
        backoff_max: Longest retry delay, in seconds.
        lease: Seconds a claim lasts; after it another relay may deliver the message again.
        retention: Seconds a sent message is kept before the relay deletes it (``0``: kept
            forever). Dead letters are never deleted.
    """

    batch_size: int = 100
    poll_interval: float = 1.0
    max_attempts: int = 10
    backoff_base: float = 1.0
    backoff_max: float = 300.0
    lease: float = 60.0
    retention: float = 604800.0


def backoff_delay(
    failures: int, base: float, ceiling: float, rng: Callable[[], float] = random.random
) -> float:
    """Seconds to wait after ``failures`` failed deliveries: exponential, capped, jittered.

    The jitter keeps half the delay and randomizes the other half, so that messages that failed
    together (a broker outage) do not all come back at the same instant.
    """
    delay: float = min(ceiling, base * 2.0 ** max(0, failures - 1))
    return delay / 2 + rng() * delay / 2


class OutboxRelay:
    """Moves committed messages from an :class:`OutboxStore` to a :class:`Publisher`.

    Args:
        store: Where messages wait.
        publisher: Where they go.
        settings: Batch size, polling and retry policy.
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
        self._round_done = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._next_due: datetime | None = None
        self._next_purge: datetime | None = None

    # -- one round ---------------------------------------------------------------------------

    async def run_once(self) -> int:
        """Claim one batch and deliver it; return how many messages were claimed.

        Raises:
            Exception: A storage error, or what the crash hook raised.
        """
        now = self.clock()
        batch = await self.store.claim(
            self.relay_id, self.settings.batch_size, now, self.settings.lease
        )
        if batch:
            # Messages of one batch never share an ordering key (an earlier pending message
            # blocks the later one), so they may leave concurrently.
            results = await asyncio.gather(
                *(self._deliver(message) for message in batch), return_exceptions=True
            )
            for result in results:
                if isinstance(result, BaseException):
                    raise result
        await self._purge_when_due(now)
        return len(batch)

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

    async def _deliver(self, message: OutboxMessage) -> None:
        try:
            await self.publisher.publish(message)
        except Exception as exc:
            await self._failed(message, exc)
            return
        if self.crash_hook is not None:
            self.crash_hook("published", message)
        await self.store.mark_sent(message.id, self.clock())

    async def _failed(self, message: OutboxMessage, exc: Exception) -> None:
        failures = message.attempts + 1
        error = f"{type(exc).__name__}: {exc}"
        if failures >= self.settings.max_attempts:
            logger.error(
                "outbox message %s (%s) dead-lettered after %d failed deliveries: %s",
                message.id,
                message.topic,
                failures,
                error,
            )
            await self.store.mark_failed(message.id, self.relay_id, error, None)
            return
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
        await self.store.mark_failed(message.id, self.relay_id, error, retry_at)
        if self._next_due is None or retry_at < self._next_due:
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
        """Let the round in progress finish (up to ``grace`` seconds), then end the loop.

        A round cut short leaves claims that expire: those messages are delivered again later.
        """
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        self._wake.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), grace)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _loop(self) -> None:
        errors = 0
        while not self._stopping:
            self._wake.clear()
            try:
                claimed = await self.run_once()
                errors = 0
            except Exception:
                errors += 1
                delay = backoff_delay(
                    errors, self.settings.poll_interval, self.settings.backoff_max, self.rng
                )
                logger.exception("outbox relay round failed; next try in %.2fs", delay)
                self._signal_round()
                await self._sleep(delay)
                continue
            self._signal_round()
            if claimed < self.settings.batch_size:
                await self._sleep(self._idle_delay())

    def _idle_delay(self) -> float:
        delay = self.settings.poll_interval
        if self._next_due is not None:
            until_due = (self._next_due - self.clock()).total_seconds()
            self._next_due = None
            delay = max(0.0, min(delay, until_due))
        return delay

    def _signal_round(self) -> None:
        self._round_done.set()
        self._round_done = asyncio.Event()

    async def _sleep(self, seconds: float) -> None:
        if self._stopping or self._wake.is_set():
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)

    # -- waiting for it ----------------------------------------------------------------------

    async def drain(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109 (documented API)
        """Wait until no message is pending (dead letters do not count).

        With the loop running, each round is awaited; without it, rounds are run here.

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
                round_done = self._round_done
                self.wake()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(round_done.wait(), remaining)
            elif not await self.run_once():
                # Only messages waiting out a backoff are left: sleep until the first is due.
                await asyncio.sleep(min(remaining, self._idle_delay()))


class RelayWaker:
    """Post-commit hook waking a relay when a committed transaction wrote outbox rows."""

    def __init__(self, relay: OutboxRelay) -> None:
        self.relay = relay

    async def on_transaction_committed(self, events: tuple[MutationEvent, ...]) -> None:
        """Wake the relay if the outbox was written."""
        if any(event.entity == OUTBOX_ENTITY for event in events):
            self.relay.wake()
