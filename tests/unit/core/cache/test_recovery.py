"""Lost bumps outlive the failure: recorded in a journal, applied by whichever process reaches
the counters, and no process that saw the cache fail serves from it until they are applied.

"Processes" here are resolvers with their own view of one in-memory store (each can lose it
alone) sharing one :class:`MemoryInvalidationJournal`; the real thing runs in
``tests/integration/cache/test_lost_invalidations.py``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from loom.core.cache import (
    CacheConfig,
    CachedRepository,
    CacheGateway,
    GenerationalDependencyResolver,
    JournalApplier,
    MemoryInvalidationJournal,
    MsgspecSerializer,
)
from tests.unit.core.cache.fakes import FakeRepository, FlakyMemoryCache, Product, commit, name_of


@dataclass
class Process:
    backend: FlakyMemoryCache
    resolver: GenerationalDependencyResolver
    cached: CachedRepository[Product, Any, Any, int]


def process(
    repo: FakeRepository,
    journal: MemoryInvalidationJournal | None,
    shared: FlakyMemoryCache | None = None,
    wait: float = 5.0,
) -> Process:
    """A process's cache: its own connection (which can break) to the shared store."""
    backend = FlakyMemoryCache(serializer=MsgspecSerializer())
    if shared is not None:
        backend._store = shared._store
    gateway = CacheGateway(backend=backend, retry_after=0)
    resolver = GenerationalDependencyResolver(gateway, journal=journal, wait=wait)
    cached: CachedRepository[Product, Any, Any, int] = CachedRepository(
        repo, config=CacheConfig(), cache=gateway, dependency_resolver=resolver
    )
    return Process(backend, resolver, cached)


@pytest.fixture
def repo() -> FakeRepository:
    return FakeRepository(rows=[Product(id=1, name="v1")])


@pytest.fixture
def journal() -> MemoryInvalidationJournal:
    return MemoryInvalidationJournal()


@pytest.fixture
async def reader(
    repo: FakeRepository, journal: MemoryInvalidationJournal
) -> AsyncIterator[Process]:
    """A process whose applier listens to the journal."""
    built = process(repo, journal)
    applier = JournalApplier(built.resolver, journal, poll=60)
    await applier.start()
    yield built
    await applier.stop()


def blocked(proc: Process) -> bool:
    """Whether the process serves nothing from the cache until it caught up."""
    return proc.resolver.invalidation_pending


async def _write(writer: Process, repo: FakeRepository, name: str) -> None:
    await writer.cached.update(1, {"name": name})
    await commit(repo, writer.resolver)  # what the post-commit channel does after COMMIT


async def test_a_bump_the_writer_lost_is_applied_by_another_process_before_the_write_returns(
    repo: FakeRepository, journal: MemoryInvalidationJournal, reader: Process
) -> None:
    writer = process(repo, journal, shared=reader.backend)
    assert await name_of(reader.cached, 1) == "v1"
    assert await name_of(reader.cached, 1) == "v1"
    assert reader.cached.stats.hits == 1

    writer.backend.broken = True  # the writer alone loses the cache
    await _write(writer, repo, "v2")
    assert await journal.pending() == []  # the reader applied it while the writer waited
    assert await name_of(reader.cached, 1) == "v2"
    assert await name_of(reader.cached, 1) == "v2"
    assert reader.cached.stats.hits == 2
    assert blocked(writer)


async def test_when_nobody_reaches_the_cache_readers_that_saw_it_fail_serve_nothing_from_it(
    repo: FakeRepository, journal: MemoryInvalidationJournal, reader: Process
) -> None:
    writer = process(repo, journal, shared=reader.backend, wait=0.2)
    assert await name_of(reader.cached, 1) == "v1"
    writer.backend.broken = reader.backend.broken = True

    started = time.monotonic()
    await _write(writer, repo, "v2")
    assert 0.2 <= time.monotonic() - started < 5  # waited for an applier, then gave up
    assert len(await journal.pending()) == 1
    assert blocked(reader)  # its applier tried and failed

    reader.backend.broken = writer.backend.broken = False
    # The old entry is still in the store under unchanged counters: applying comes first.
    assert await name_of(reader.cached, 1) == "v2"
    assert await journal.pending() == []
    assert await name_of(writer.cached, 1) == "v2"
    assert await name_of(reader.cached, 1) == "v2"
    assert reader.cached.stats.hits >= 1


async def test_a_process_started_after_the_record_catches_up_before_its_first_hit(
    repo: FakeRepository, journal: MemoryInvalidationJournal
) -> None:
    first = process(repo, journal, wait=0)
    assert await name_of(first.cached, 1) == "v1"
    assert await name_of(first.cached, 1) == "v1"
    first.backend.broken = True
    await _write(first, repo, "v2")  # recorded; the writer then "dies" before the cache returns
    assert len(await journal.pending()) == 1

    restarted = process(repo, journal, shared=first.backend)
    assert await name_of(restarted.cached, 1) == "v2"
    assert await journal.pending() == []
    assert await name_of(restarted.cached, 1) == "v2"
    assert restarted.cached.stats.hits == 1


async def test_a_second_lost_bump_does_not_wait_while_an_older_record_waits(
    repo: FakeRepository,
) -> None:
    now = [1000.0]
    journal = MemoryInvalidationJournal(clock=lambda: now[0])
    writer = process(repo, journal, wait=3.0)
    writer.backend.broken = True
    await journal.record(["products:id:1"])  # nobody applied this one
    now[0] += 10
    started = time.monotonic()
    await _write(writer, repo, "v2")
    assert time.monotonic() - started < 2.5
    assert len(await journal.pending()) == 2


async def test_a_bump_that_cannot_be_recorded_is_replaced_by_an_epoch_change(
    repo: FakeRepository, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="loom.cache")
    down = [False]
    journal = MemoryInvalidationJournal(fail=lambda: down[0])
    writer = process(repo, journal)
    assert await name_of(writer.cached, 1) == "v1"
    writer.backend.broken = True
    down[0] = True
    await _write(writer, repo, "v2")
    assert any("was lost" in r.getMessage() for r in caplog.records)
    writer.backend.broken = False
    assert await name_of(writer.cached, 1) == "v2"  # epoch replaced, though the journal is down
    assert await name_of(writer.cached, 1) == "v2"
    assert writer.cached.stats.hits == 1


async def test_without_a_journal_the_writer_alone_catches_up(repo: FakeRepository) -> None:
    writer = process(repo, None)
    assert not blocked(writer)
    assert await name_of(writer.cached, 1) == "v1"
    writer.backend.broken = True
    await _write(writer, repo, "v2")
    assert blocked(writer)
    writer.backend.broken = False
    assert await name_of(writer.cached, 1) == "v2"
    assert not blocked(writer)
