"""The relay over the in-memory store: retries, dead letters, ordering, crashes, its loop."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

import loom.core.outbox as outbox_pkg
from loom.core.errors import JobError
from loom.core.outbox import (
    MemoryOutboxStore,
    OutboxMessage,
    OutboxRelay,
    RelaySettings,
    backoff_delay,
    utc_now,
)


class Clock:
    def __init__(self) -> None:
        self.now = utc_now() + timedelta(seconds=1)

    def __call__(self) -> datetime:
        return self.now


class Sink:
    """Records published ids; refuses while ``failures`` is positive."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.ids: list[str] = []

    async def publish(self, message: OutboxMessage) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("down")
        self.ids.append(message.id)


def msg(message_id: str, key: str | None = None) -> OutboxMessage:
    return OutboxMessage(id=message_id, topic="t", body=b"{}", ordering_key=key)


@pytest.mark.parametrize(("failures", "low", "high"), [(1, 0.5, 1.0), (2, 1.0, 2.0), (9, 2.5, 5)])
def test_backoff_doubles_is_capped_and_jittered(failures: int, low: float, high: float) -> None:
    assert backoff_delay(failures, 1.0, 5.0, rng=lambda: 0.0) == low
    assert backoff_delay(failures, 1.0, 5.0, rng=lambda: 1.0) == high


async def test_a_message_is_dead_lettered_after_max_attempts() -> None:
    store, sink, clock = MemoryOutboxStore(), Sink(failures=99), Clock()
    await store.add([msg("a")])
    relay = OutboxRelay(store, sink, RelaySettings(max_attempts=2, backoff_base=1), clock=clock)
    assert await relay.run_once() == 1
    clock.now += timedelta(seconds=2)
    assert await relay.run_once() == 1
    record = await store.get("a")
    assert record is not None
    assert (record.status, record.attempts, record.last_error) == (
        "dead",
        2,
        "ConnectionError: down",
    )
    assert await store.pending_count() == 0


async def test_an_ordering_key_blocks_later_messages_until_the_earlier_one_is_sent() -> None:
    store, sink, clock = MemoryOutboxStore(), Sink(failures=1), Clock()
    await store.add([msg("k1", "k"), msg("k2", "k"), msg("x")])
    relay = OutboxRelay(store, sink, RelaySettings(backoff_base=1), clock=clock)
    assert await relay.run_once() == 2
    assert sink.ids == ["x"]
    clock.now += timedelta(seconds=1)
    await relay.run_once()
    await relay.run_once()
    assert sink.ids == ["x", "k1", "k2"]


async def test_a_crash_after_publishing_means_a_second_delivery_with_the_same_id() -> None:
    store, sink, clock = MemoryOutboxStore(), Sink(), Clock()
    await store.add([msg("a")])

    def crash(point: str, message: OutboxMessage) -> None:
        raise RuntimeError(f"crash at {point}")

    with pytest.raises(RuntimeError, match="crash at published"):
        await OutboxRelay(
            store, sink, RelaySettings(lease=5), clock=clock, crash_hook=crash
        ).run_once()
    other = OutboxRelay(store, sink, RelaySettings(lease=5), clock=clock)
    assert await other.run_once() == 0
    clock.now += timedelta(seconds=6)
    assert await other.run_once() == 1
    assert sink.ids == ["a", "a"]


async def test_the_running_loop_drains_and_stops() -> None:
    store, sink = MemoryOutboxStore(), Sink(failures=2)
    relay = OutboxRelay(store, sink, RelaySettings(backoff_base=0.001, backoff_max=0.002))
    await relay.start()
    await store.add([msg("a"), msg("b")])
    relay.wake()
    await relay.drain(timeout=5)
    await relay.stop()
    assert sorted(sink.ids) == ["a", "b"]
    assert not relay.running


async def test_drain_times_out_naming_what_is_left() -> None:
    store = MemoryOutboxStore()
    await store.add(
        [OutboxMessage(id="a", topic="t", body=b"{}", not_before=utc_now() + timedelta(hours=1))]
    )
    relay = OutboxRelay(store, Sink())
    with pytest.raises(JobError, match="1 message"):
        await relay.drain(timeout=0.01)


def test_exports_are_sorted_and_present() -> None:
    assert outbox_pkg.__all__ == sorted(outbox_pkg.__all__)
    assert all(hasattr(outbox_pkg, name) for name in outbox_pkg.__all__)


async def test_the_relay_purges_old_sent_messages_a_batch_per_poll_interval() -> None:
    store, sink, clock = MemoryOutboxStore(), Sink(), Clock()
    settings = RelaySettings(batch_size=2, poll_interval=5, retention=100, max_attempts=1)
    relay = OutboxRelay(store, sink, settings, clock=clock)
    await store.add([msg("old1"), msg("old2"), msg("old3")])
    assert await relay.run_once() == 2
    assert await relay.run_once() == 1
    clock.now += timedelta(seconds=50)
    await store.add([msg("young")])
    assert await relay.run_once() == 1
    sink.failures = 1
    await store.add([msg("dead")])
    assert await relay.run_once() == 1
    assert (await store.status_counts()) == {"pending": 0, "sent": 4, "dead": 1}

    clock.now += timedelta(seconds=60)  # old* were sent 110s ago, young 60s ago
    assert await relay.run_once() == 0
    assert (await store.status_counts())["sent"] == 2  # one batch of two
    assert await relay.run_once() == 0
    assert (await store.status_counts())["sent"] == 2  # not again within the poll interval
    clock.now += timedelta(seconds=5)
    assert await relay.run_once() == 0
    assert [await store.get(i) is None for i in ("old1", "old2", "old3")] == [True] * 3
    assert await store.status_counts() == {"pending": 0, "sent": 1, "dead": 1}
    clock.now += timedelta(days=365)
    assert await relay.purge() == 1
    dead = await store.get("dead")
    assert dead is not None
    assert dead.status == "dead"


async def test_retention_zero_keeps_sent_messages_forever() -> None:
    store, clock = MemoryOutboxStore(), Clock()
    relay = OutboxRelay(store, Sink(), RelaySettings(retention=0), clock=clock)
    await store.add([msg("a")])
    assert await relay.run_once() == 1
    clock.now += timedelta(days=3650)
    assert await relay.run_once() == 0
    assert await relay.purge() == 0
    assert await store.status_counts() == {"pending": 0, "sent": 1, "dead": 0}


async def test_a_requeued_dead_letter_is_delivered_again() -> None:
    store, sink, clock = MemoryOutboxStore(), Sink(failures=2), Clock()
    relay = OutboxRelay(store, sink, RelaySettings(max_attempts=1), clock=clock)
    await store.add([msg("a"), msg("b"), msg("c")])
    assert await relay.run_once() == 3
    assert sink.ids == ["c"]
    assert await store.requeue_dead(["a", "c", "unknown"], clock.now) == 1
    requeued = await store.get("a")
    assert requeued is not None
    assert (requeued.status, requeued.attempts, requeued.last_error) == (
        "pending",
        0,
        "ConnectionError: down",
    )
    assert await relay.run_once() == 1
    assert await store.requeue_dead(None, clock.now) == 1
    await relay.drain(timeout=5)
    assert sink.ids == ["c", "a", "b"]
    assert await store.status_counts() == {"pending": 0, "sent": 3, "dead": 0}
