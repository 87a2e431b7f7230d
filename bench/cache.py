"""Cache scenarios (``python -m bench --suite cache``): Loom's cache hits against the database
and against a hand-written cache-aside.

Twelve contestants run in the same interleaved rounds (the order rotates every round, and is
reversed every other one, so drift on a shared machine falls on all of them alike):

- ``db_*``: Loom's uncached repository read (``get_by_id``; ``list_with_query`` with an offset
  page of 20) on PostgreSQL and on SQLite -- what a hit saves;
- ``cache_*``: the same calls through ``CachedRepository`` over the PostgreSQL repository, wired
  as the kernel wires it (``CacheConfig.from_mapping`` of a ``cache:`` section in the shape of
  reference 002's YAML: a data alias with ``MsgspecSerializer`` and a counters alias without
  one; on the same Redis server, or two in-process caches), every call a hit;
- ``base_*``: the smallest cache-aside a service would write: one Redis ``GET`` of a msgpack
  value decoded by ``msgspec.msgpack.Decoder(Product)`` (or ``PageResult[Product]``), with the
  same client library and connection-pool settings as Loom's data backend, no invalidation;
  in memory, a dict lookup and the same decode.

Every Loom run is checked outside the clock: the hit counter grew by the number of calls, no
miss or bypass was counted, and the database received no statement. The report gives each
contestant's ops/s (median and spread) and the ratios the targets are stated in.

Redis keys live under a random namespace (``loombench_<hex>``) and are deleted at the end;
PostgreSQL uses a private schema that is dropped (see :mod:`bench._backends`).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import secrets
import statistics
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO, cast
from urllib.parse import urlsplit

import msgspec
import redis.asyncio as aioredis
from redis.utils import HIREDIS_AVAILABLE
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from bench._backends import Backend, category, open_backend
from bench._harness import Spread
from bench._models import Product
from bench._report import align, peak_rss_mib, rate
from loom.core.cache import (
    CacheConfig,
    CachedRepository,
    CacheGateway,
    CacheStats,
    GenerationalDependencyResolver,
)
from loom.core.query import FilterGroup, FilterOp, FilterSpec, PageResult, QuerySpec, SortSpec

SUITE = "cache"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
PAGE = 20
PAGES = 3
"""Offset pages per category in the list inputs."""
IDS = 200
"""Distinct ids the get inputs cycle through (all of them cached before timing)."""
TTL = 3600
"""Long enough that no entry expires during a run (an expiry would be a miss, and an error)."""
SERIALIZER = {"class": "loom.core.cache.serializer.MsgspecSerializer"}

Runner = Callable[[Sequence[Any]], Awaitable[object]]
ListInput = tuple[str, int, QuerySpec]
"""(category, page, the QuerySpec a request would decode): each side takes what it needs."""


def redis_url() -> str:
    """The Redis URL: ``LOOM_BENCH_REDIS_URL`` or the local server."""
    return os.environ.get("LOOM_BENCH_REDIS_URL", DEFAULT_REDIS_URL)


def memory_section() -> dict[str, Any]:
    """The ``cache:`` section of the embedded default (reference 002, in-memory example)."""
    return {
        "cache": {
            "aiocache_alias": "cache",
            "counter_alias": "counters",
            "default_ttl": TTL,
            "default_list_ttl": TTL,
            "max_size": 1000,
            "aiocache": {
                "cache": {"cache": "aiocache.SimpleMemoryCache", "serializer": SERIALIZER},
                "counters": {"cache": "aiocache.SimpleMemoryCache"},
            },
        }
    }


def redis_section(url: str, namespace: str) -> dict[str, Any]:
    """The ``cache:`` section of reference 002's Redis example: values and counters on one
    server, under two namespaces, the counters without a serializer (native ``INCR``)."""
    parts = urlsplit(url)
    server = {
        "cache": "aiocache.RedisCache",
        "endpoint": parts.hostname or "127.0.0.1",
        "port": parts.port or 6379,
        "db": int(parts.path.strip("/") or 0),
    }
    return {
        "cache": {
            "aiocache_alias": "cache",
            "counter_alias": "counters",
            "default_ttl": TTL,
            "default_list_ttl": TTL,
            "aiocache": {
                "cache": {**server, "namespace": namespace, "serializer": SERIALIZER},
                "counters": {**server, "namespace": f"{namespace}_counters"},
            },
        }
    }


@dataclass(frozen=True, slots=True)
class Contestant:
    """One way to answer a read, timed on its own.

    Attributes:
        name: Its name in the report.
        what: One line saying what it runs.
        run: Answers every input once.
        prepare: Builds ``n`` inputs (untimed).
        guard: Entered before the clock starts and left after it stops, with the number of
            calls; raises when the run was not what it claims (a Loom "hit" that was not).
    """

    name: str
    what: str
    run: Runner
    prepare: Callable[[int], Sequence[Any]]
    guard: Callable[[int], contextlib.AbstractContextManager[None]] | None = None


@dataclass(frozen=True, slots=True)
class Comparison:
    """A ratio of two contestants' ops/s, with the target it must meet (``None``: none)."""

    numerator: str
    denominator: str
    target: float | None = None


COMPARISONS = tuple(
    comparison
    for kind in ("get", "list")
    for comparison in (
        Comparison(f"cache_{kind}_memory", f"db_{kind}_postgresql", 20.0),
        Comparison(f"cache_{kind}_memory", f"db_{kind}_sqlite"),
        Comparison(f"cache_{kind}_memory", f"base_{kind}_memory"),
        Comparison(f"cache_{kind}_redis", f"db_{kind}_postgresql", 3.0),
        Comparison(f"cache_{kind}_redis", f"db_{kind}_sqlite"),
        Comparison(f"cache_{kind}_redis", f"base_{kind}_redis", 0.8),
    )
)
"""What the report compares; the targets are issue 4's."""

NAMES = tuple(
    f"{side}_{kind}_{where}"
    for side, wheres in (
        ("db", ("postgresql", "sqlite")),
        ("cache", ("memory", "redis")),
        ("base", ("memory", "redis")),
    )
    for kind in ("get", "list")
    for where in wheres
)
"""Every contestant, in report order."""


@dataclass(slots=True)
class Samples:
    """ops/s of one contestant, one per round."""

    contestant: Contestant
    ops: int
    rates: list[float] = field(default_factory=list)


# Inputs.


class _Inputs:
    """Deterministic inputs cycling over what was cached before timing."""

    def __init__(self, seeded: int) -> None:
        self.ids = [1 + (i * 7919) % seeded for i in range(min(IDS, seeded))]
        self.lists: list[ListInput] = [
            (name, page, _query(name, page))
            for page in range(1, PAGES + 1)
            for name in sorted({category(i) for i in range(seeded)})
        ]
        self._start = 0

    def _cycle(self, values: Sequence[Any], n: int) -> list[Any]:
        self._start += 1
        return [values[(self._start + i) % len(values)] for i in range(n)]

    def get(self, n: int) -> list[int]:
        return self._cycle(self.ids, n)

    def list(self, n: int) -> list[ListInput]:
        return self._cycle(self.lists, n)


def _query(name: str, page: int) -> QuerySpec:
    filters = FilterGroup(filters=(FilterSpec(field="category", op=FilterOp.EQ, value=name),))
    return QuerySpec(filters=filters, sort=(SortSpec(field="price_cents"),), limit=PAGE, page=page)


# The sides.


class _Reads:
    """Loom's reads through any repository with its API (cached or not)."""

    def __init__(self, repo: Any) -> None:
        self.repo = repo

    async def get(self, ids: Sequence[int]) -> object:
        item = None
        for obj_id in ids:
            item = await self.repo.get_by_id(obj_id)
        return item

    async def list(self, requests: Sequence[ListInput]) -> object:
        page = None
        for _, _, query in requests:
            page = await self.repo.list_with_query(query)
        return page


class _RedisAside:
    """The minimal Redis cache-aside: one ``GET``, one typed msgpack decode."""

    def __init__(self, client: aioredis.Redis, prefix: str) -> None:
        self.client = client
        self.prefix = prefix
        self.one = msgspec.msgpack.Decoder(Product)
        self.page = msgspec.msgpack.Decoder(PageResult[Product])

    async def get(self, ids: Sequence[int]) -> object:
        item = None
        for obj_id in ids:
            raw = cast("bytes | None", await self.client.get(f"{self.prefix}product:{obj_id}"))
            item = None if raw is None else self.one.decode(raw)
        return item

    async def list(self, requests: Sequence[ListInput]) -> object:
        page = None
        for name, number, _ in requests:
            key = f"{self.prefix}products:{name}:{number}"
            raw = cast("bytes | None", await self.client.get(key))
            page = None if raw is None else self.page.decode(raw)
        return page


class _MemoryAside:
    """The minimal in-process cache-aside: a dict lookup, one typed msgpack decode."""

    def __init__(self) -> None:
        self.store: dict[str, bytes] = {}
        self.one = msgspec.msgpack.Decoder(Product)
        self.page = msgspec.msgpack.Decoder(PageResult[Product])

    async def get(self, ids: Sequence[int]) -> object:
        item = None
        for obj_id in ids:
            raw = self.store.get(f"product:{obj_id}")
            item = None if raw is None else self.one.decode(raw)
        return item

    async def list(self, requests: Sequence[ListInput]) -> object:
        page = None
        for name, number, _ in requests:
            raw = self.store.get(f"products:{name}:{number}")
            page = None if raw is None else self.page.decode(raw)
        return page


@contextlib.contextmanager
def _all_hits(stats: CacheStats, engine: AsyncEngine, name: str, calls: int) -> Iterator[None]:
    """Check that ``calls`` cached reads were all hits and sent no SQL."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    hits, misses, bypassed = stats.hits, stats.misses, stats.bypassed
    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
    grew = (stats.hits - hits, stats.misses - misses, stats.bypassed - bypassed, len(statements))
    if grew != (calls, 0, 0, 0):
        raise AssertionError(
            f"{name}: {calls} calls made {grew[0]} hits, {grew[1]} misses, {grew[2]} bypasses "
            f"and {grew[3]} SQL statements; every call must be a hit without SQL"
        )


# Setup.


@dataclass(slots=True)
class _Stack:
    """A cached repository wired as the kernel wires it (``loom.core.bootstrap._cache``)."""

    cached: CachedRepository[Product, Any, Any, int]
    gateways: tuple[CacheGateway, ...]

    @classmethod
    def build(cls, section: dict[str, Any], backend: Backend) -> _Stack:
        config = CacheConfig.from_mapping(section)
        data, counters = CacheGateway.pair_from_config(config)
        resolver = GenerationalDependencyResolver(counters)
        backend.repo.session_manager.add_post_commit_hook(resolver)
        cached: CachedRepository[Product, Any, Any, int] = CachedRepository(
            backend.repo, config=config, cache=data, dependency_resolver=resolver
        )
        return cls(cached, tuple({id(g): g for g in (data, counters)}.values()))

    async def close(self) -> None:
        for gateway in self.gateways:
            await gateway.close()


def _same_pool(loom: Any, ours: aioredis.ConnectionPool) -> None:
    """Fail unless the baseline's pool is configured like Loom's data backend's."""
    keys = [
        "host",
        "port",
        "db",
        "password",
        "decode_responses",
        "socket_timeout",
        "socket_connect_timeout",
    ]
    theirs = {k: loom.connection_kwargs.get(k) for k in keys}
    mine = {k: ours.connection_kwargs.get(k) for k in keys}
    if (theirs, loom.max_connections) != (mine, ours.max_connections):
        raise AssertionError(f"baseline pool {mine} differs from Loom's {theirs}")


async def _fill(
    reads: _Reads, inputs: _Inputs, put: Callable[[str, bytes], Awaitable[object]]
) -> None:
    """Cache every input on Loom's side (misses) and on the baseline's (plain writes)."""
    for obj_id in inputs.ids:
        item = await reads.repo.get_by_id(obj_id)
        await put(f"product:{obj_id}", msgspec.msgpack.encode(item))
    for name, number, query in inputs.lists:
        page = await reads.repo.list_with_query(query)
        await put(f"products:{name}:{number}", msgspec.msgpack.encode(page))


@contextlib.asynccontextmanager
async def _redis_client(url: str, namespace: str, like: Any) -> AsyncIterator[aioredis.Redis]:
    """A client with the pool settings of Loom's data backend; deletes the run's keys on exit."""
    parts = urlsplit(url)
    pool = aioredis.ConnectionPool(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 6379,
        db=int(parts.path.strip("/") or 0),
        password=parts.password,
        decode_responses=False,
        socket_timeout=like.connection_kwargs.get("socket_timeout"),
        socket_connect_timeout=like.connection_kwargs.get("socket_connect_timeout"),
        max_connections=like.max_connections,
    )
    _same_pool(like, pool)
    client = aioredis.Redis(connection_pool=pool)
    try:
        yield client
    finally:
        # Every key of the run starts with the namespace: values, counters, the baseline's.
        keys = [key async for key in client.scan_iter(match=f"{namespace}*", count=1000)]
        if keys:
            await client.delete(*keys)
        await client.aclose()
        await pool.disconnect()


@contextlib.asynccontextmanager
async def contestants(seed: int, log: TextIO = sys.stderr) -> AsyncIterator[list[Contestant]]:
    """Open both databases, both caches and both baselines; yield the contestants in
    :data:`NAMES` order; remove everything on exit."""
    namespace = f"loombench_{secrets.token_hex(6)}"
    print(f"[cache] redis namespace {namespace}", file=log, flush=True)
    async with (
        open_backend("postgresql", seed=seed) as pg,
        open_backend("sqlite", seed=seed) as lite,
        contextlib.AsyncExitStack() as stack,
    ):
        memory = _Stack.build(memory_section(), pg)
        stack.push_async_callback(memory.close)
        redis_stack = _Stack.build(redis_section(redis_url(), namespace), pg)
        stack.push_async_callback(redis_stack.close)
        like = redis_stack.gateways[0].backend.client.connection_pool
        client = await stack.enter_async_context(_redis_client(redis_url(), namespace, like))

        inputs = _Inputs(seed)
        mem_aside, redis_aside = _MemoryAside(), _RedisAside(client, f"{namespace}_base:")

        async def put_memory(key: str, value: bytes) -> None:
            mem_aside.store[key] = value

        async def put_redis(key: str, value: bytes) -> None:
            await client.set(f"{namespace}_base:{key}", value, ex=TTL)

        await _fill(_Reads(memory.cached), inputs, put_memory)
        await _fill(_Reads(redis_stack.cached), inputs, put_redis)

        def hits(s: _Stack, name: str) -> Callable[[int], contextlib.AbstractContextManager[None]]:
            return lambda n: _all_hits(s.cached.stats, pg.repo.session_manager.engine, name, n)

        sides: dict[str, tuple[Any, str, _Stack | None]] = {
            "db_{}_postgresql": (_Reads(pg.repo), "Loom repository, uncached, PostgreSQL", None),
            "db_{}_sqlite": (_Reads(lite.repo), "Loom repository, uncached, SQLite", None),
            "cache_{}_memory": (_Reads(memory.cached), "Loom cache hit, in-process", memory),
            "cache_{}_redis": (_Reads(redis_stack.cached), "Loom cache hit, Redis", redis_stack),
            "base_{}_memory": (mem_aside, "dict lookup + msgpack decode", None),
            "base_{}_redis": (redis_aside, "Redis GET + msgpack decode", None),
        }
        built = {}
        for pattern, (side, what, cached) in sides.items():
            for kind in ("get", "list"):
                name = pattern.format(kind)
                label = f"{'get_by_id' if kind == 'get' else 'list offset 20'}: {what}"
                built[name] = Contestant(
                    name,
                    label,
                    getattr(side, kind),
                    getattr(inputs, kind),
                    None if cached is None else hits(cached, name),
                )
        yield [built[name] for name in NAMES]


# Timing.


async def _run(contestant: Contestant, n: int) -> float:
    inputs = contestant.prepare(n)
    guard = contestant.guard(n) if contestant.guard is not None else contextlib.nullcontext()
    with guard:
        # Collect the previous run's garbage now, so no contestant pays for another's.
        gc.collect()
        start = time.perf_counter()
        await contestant.run(inputs)
        elapsed = time.perf_counter() - start
    return n / elapsed


async def run_rounds(
    entrants: Sequence[Contestant],
    *,
    rounds: int,
    seconds: float,
    progress: Callable[[str], None] | None = None,
) -> list[Samples]:
    """Time every contestant ``rounds`` times, in a rotating order.

    Two untimed warm-up runs per contestant size its timed run to about ``seconds`` (a hit
    is a hundred times faster than a database read, so equal operation counts would time
    either noise or minutes).
    """
    samples = []
    for contestant in entrants:
        rate = await _run(contestant, 50)
        rate = await _run(contestant, max(50, int(rate * seconds / 4)))
        samples.append(Samples(contestant, max(50, int(rate * seconds))))
    for index in range(rounds):
        shift = index % len(samples)
        order = samples[shift:] + samples[:shift]
        for sample in order if index % 2 == 0 else order[::-1]:
            sample.rates.append(await _run(sample.contestant, sample.ops))
        if progress is not None:
            progress(f"round {index + 1}/{rounds} done")
    return samples


# Report.


@dataclass(frozen=True, slots=True)
class Ratio:
    """A :class:`Comparison` evaluated on the samples."""

    comparison: Comparison
    ratio: float
    rounds: Spread

    @property
    def label(self) -> str:
        return f"{self.comparison.numerator} / {self.comparison.denominator}"

    @property
    def passed(self) -> bool | None:
        target = self.comparison.target
        return None if target is None else self.ratio >= target


def ratios(samples: Sequence[Samples]) -> list[Ratio]:
    """The :data:`COMPARISONS` whose contestants both ran."""
    rates = {s.contestant.name: s.rates for s in samples}
    found = []
    for c in COMPARISONS:
        if c.numerator in rates and c.denominator in rates:
            top, bottom = rates[c.numerator], rates[c.denominator]
            ratio = statistics.median(top) / statistics.median(bottom)
            per_round = Spread.of([a / b for a, b in zip(top, bottom, strict=True)])
            found.append(Ratio(c, ratio, per_round))
    return found


def format_report(samples: Sequence[Samples], rounds: int) -> str:
    """Two tables (ops/s per contestant; ratios and targets), then the run's conditions."""
    rows: list[tuple[str, ...]] = [("contestant", "what", "ops/run", "ops/s", "min-max", "q1-q3")]
    for s in samples:
        spread = Spread.of(s.rates)
        rows.append(
            (
                s.contestant.name,
                s.contestant.what,
                str(s.ops),
                rate(spread.median),
                f"{rate(spread.low)}-{rate(spread.high)}",
                f"{rate(spread.q1)}-{rate(spread.q3)}",
            )
        )
    lines = align(rows, 2)
    lines.append("")
    compared: list[tuple[str, ...]] = [("comparison", "ratio", "round ratios", "target", "result")]
    for r in ratios(samples):
        target = r.comparison.target
        compared.append(
            (
                r.label,
                f"{r.ratio:.2f}x",
                f"{r.rounds.low:.2f}-{r.rounds.high:.2f}",
                "-" if target is None else f">={target:g}x",
                {None: "-", True: "PASS", False: "FAIL"}[r.passed],
            )
        )
    lines += align(compared, 1)
    lines.append("")
    parser = "hiredis" if HIREDIS_AVAILABLE else "pure-Python parser"
    lines.append(
        f"medians of {rounds} interleaved rounds; ratio = median / median; "
        f"redis.asyncio with {parser}; every Loom run checked: all hits, 0 SQL statements"
    )
    lines.append(f"peak RSS: {peak_rss_mib():.1f} MiB")
    return "\n".join(lines)


class _JsonContestant(msgspec.Struct):
    name: str
    what: str
    ops_per_run: int
    median: float
    min: float
    max: float
    samples: list[float]


class _JsonRatio(msgspec.Struct):
    numerator: str
    denominator: str
    ratio: float
    round_ratios_min: float
    round_ratios_max: float
    target: float | None
    passed: bool | None


class _JsonReport(msgspec.Struct):
    suite: str
    rounds: int
    hiredis: bool
    peak_rss_mib: float
    contestants: list[_JsonContestant]
    ratios: list[_JsonRatio]


def to_json(samples: Sequence[Samples], rounds: int) -> bytes:
    """The report as a JSON document (every sample included)."""
    document = _JsonReport(
        suite=SUITE,
        rounds=rounds,
        hiredis=bool(HIREDIS_AVAILABLE),
        peak_rss_mib=peak_rss_mib(),
        contestants=[
            _JsonContestant(
                s.contestant.name,
                s.contestant.what,
                s.ops,
                statistics.median(s.rates),
                min(s.rates),
                max(s.rates),
                s.rates,
            )
            for s in samples
        ],
        ratios=[
            _JsonRatio(
                r.comparison.numerator,
                r.comparison.denominator,
                r.ratio,
                r.rounds.low,
                r.rounds.high,
                r.comparison.target,
                r.passed,
            )
            for r in ratios(samples)
        ],
    )
    return msgspec.json.format(msgspec.json.encode(document), indent=2)


# Command line.


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {number}")
    return number


def _seconds(value: str) -> float:
    number = float(value)
    if not number > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, got {number}")
    return number


async def _main(rounds: int, seconds: float, seed: int, log: TextIO) -> list[Samples]:
    print(f"[cache] seeding {seed} rows on PostgreSQL and SQLite", file=log, flush=True)
    async with contestants(seed, log) as entrants:
        return await run_rounds(
            entrants,
            rounds=rounds,
            seconds=seconds,
            progress=lambda line: print(f"[cache] {line}", file=log, flush=True),
        )


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout) -> int:
    """``python -m bench --suite cache [options]``; print the report to ``out``; return the exit
    code (1 with ``--check`` when a target is missed)."""
    import asyncio

    parser = argparse.ArgumentParser(
        prog="python -m bench --suite cache",
        description=(
            "Loom cache hits (memory, Redis) against the uncached repository (PostgreSQL, "
            "SQLite) and a minimal cache-aside (Redis GET / dict + msgpack decode), interleaved "
            "rounds, median and spread, ratios and issue 4's targets. PostgreSQL from "
            "LOOM_BENCH_PG_URL, Redis from LOOM_BENCH_REDIS_URL "
            f"(default {DEFAULT_REDIS_URL})."
        ),
    )
    parser.add_argument("--suite", choices=(SUITE,), default=SUITE, help="this suite")
    parser.add_argument("--rounds", type=_positive, help="interleaved rounds (default 7)")
    parser.add_argument(
        "--seconds", type=_seconds, help="target length of one timed run (default 0.2)"
    )
    parser.add_argument("--quick", action="store_true", help="tiny numbers for a smoke run")
    parser.add_argument("--json", type=Path, help="also write the report as JSON to this file")
    parser.add_argument(
        "--check", action="store_true", help="exit with status 1 when a target is missed"
    )
    args = parser.parse_args(argv)
    rounds = args.rounds or (3 if args.quick else 7)
    seconds = args.seconds or (0.01 if args.quick else 0.2)
    samples = asyncio.run(_main(rounds, seconds, 200 if args.quick else 2000, sys.stderr))
    print(format_report(samples, rounds), file=out)
    if args.json is not None:
        args.json.write_bytes(to_json(samples, rounds))
    failed = any(r.passed is False for r in ratios(samples))
    return 1 if args.check and failed else 0


if __name__ == "__main__":
    sys.exit(main())
