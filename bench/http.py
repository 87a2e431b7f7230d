"""``python -m bench --suite http``: the store's HTTP routes, Loom against a hand-written app.

Two uvicorn processes (one worker each) serve the same database: the store example (Loom in
its default configuration) and a hand-written FastAPI + SQLAlchemy Core + msgspec app with
the same routes, JSON and status codes (``bench._http_apps``). One load generator, an
``httpx.AsyncClient`` with keep-alive running ``concurrency`` requests at once, drives both
through the interleaved harness of ``bench._harness``: every round times each route on both
servers, alternating which goes first. The report gives requests/second (median and spread of
the rounds), the ratio Loom/hand-written, and p50/p99 latency over every timed request.

Routes: ``http_get`` (``GET /products/{id}``), ``http_list`` (``GET /products?limit=20``),
``http_create`` (``POST /products``; the rows it creates are removed after each run).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import socket
import statistics
import sys
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import httpx
import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from bench._backends import _location, _seed
from bench._harness import SIDES, Outcome, Scenario, Side, Spread, run_interleaved
from bench._models import baseline_table
from bench._report import align, peak_rss_mib, rate

NAMES = ("http_get", "http_list", "http_create")
TARGET = 0.9
"""The issue's target for HTTP: every route at least this fraction of the hand-written app."""

ROOT = Path(__file__).resolve().parents[1]
START_DEADLINE = 60.0
STOP_DEADLINE = 30.0
LIST_LIMIT = 20

Request = tuple[str, str, bytes | None]
"""Method, path and body of one request."""


@dataclass(frozen=True, slots=True)
class HttpOptions:
    """What to run."""

    backends: tuple[str, ...]
    rounds: int
    requests: int
    concurrency: int
    only: tuple[str, ...]
    seed: int
    profile: Path | None = None


@dataclass(slots=True)
class HttpOutcome:
    """One route's rates (the harness's outcome) and its latencies per side, in seconds."""

    outcome: Outcome
    concurrency: int
    latencies: dict[Side, list[float]] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """Whether the ratio of medians meets :data:`TARGET`."""
        return self.outcome.ratio >= TARGET


@dataclass(frozen=True, slots=True)
class HttpReport:
    """The outcomes of one backend."""

    backend: str
    rounds: int
    outcomes: list[HttpOutcome]


def free_port() -> int:
    """A port nothing listens on now, as the kernel picks one for a bind to port 0."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.asynccontextmanager
async def serve(
    factory: str, url: str, connect_args: dict[str, Any], *, profile: Path | None = None
) -> AsyncIterator[str]:
    """Run ``bench._http_apps:<factory>`` under one uvicorn worker; yield its base URL.

    Args:
        factory: ``loom`` or ``baseline``.
        url: The database URL.
        connect_args: DBAPI connect arguments (the PostgreSQL schema).
        profile: Where the server writes a cProfile of itself on exit, or ``None``.
    """
    port = free_port()
    env = {
        **os.environ,
        "LOOM_BENCH_HTTP_URL": url,
        "LOOM_BENCH_HTTP_CONNECT_ARGS": msgspec.json.encode(connect_args).decode(),
    }
    if profile is not None:
        env["LOOM_BENCH_HTTP_PROFILE"] = str(profile)
    args = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        f"bench._http_apps:{factory}",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    process = await asyncio.create_subprocess_exec(*args, cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        await _wait_healthy(process, base, factory)
        yield base
    finally:
        if process.returncode is None:
            # SIGINT: uvicorn shuts down gracefully and exits, so a profile gets written.
            process.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(process.wait(), STOP_DEADLINE)
            except TimeoutError:
                process.kill()
                await process.wait()


async def _wait_healthy(process: asyncio.subprocess.Process, base: str, name: str) -> None:
    deadline = time.monotonic() + START_DEADLINE
    async with httpx.AsyncClient(base_url=base, timeout=2.0) as client:
        while time.monotonic() < deadline:
            if process.returncode is not None:
                raise RuntimeError(f"the {name} server exited with {process.returncode}")
            with contextlib.suppress(httpx.TransportError):
                if (await client.get("/health")).status_code == 200:
                    return
            await asyncio.sleep(0.05)
    raise RuntimeError(f"the {name} server did not answer /health within {START_DEADLINE}s")


def _client(base: str, concurrency: int) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    return httpx.AsyncClient(base_url=base, limits=limits, timeout=60.0)


async def drive(
    client: httpx.AsyncClient, requests: Sequence[Request], *, concurrency: int, expect: int
) -> list[float]:
    """Send ``requests`` with ``concurrency`` in flight; return each one's latency (seconds).

    Raises:
        RuntimeError: A response with another status than ``expect``.
    """
    latencies: list[float] = []
    pending = iter(requests)
    headers = {"content-type": "application/json"}

    async def worker() -> None:
        for method, path, body in pending:
            start = time.perf_counter()
            response = await client.request(method, path, content=body, headers=headers)
            latencies.append(time.perf_counter() - start)
            if response.status_code != expect:
                raise RuntimeError(
                    f"{method} {path}: {response.status_code} (expected {expect}): "
                    f"{response.text[:300]}"
                )

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies


@dataclass(slots=True)
class _Sides:
    """Both servers' clients, and every run's latencies (the first run is the warm-up)."""

    loom: httpx.AsyncClient
    baseline: httpx.AsyncClient
    concurrency: int
    runs: dict[tuple[str, Side], list[list[float]]] = field(default_factory=dict)

    def runner(self, name: str, side: Side, expect: int) -> Callable[[Sequence[Any]], Any]:
        client = self.loom if side == "loom" else self.baseline

        async def run(requests: Sequence[Any]) -> None:
            latencies = await drive(client, requests, concurrency=self.concurrency, expect=expect)
            self.runs.setdefault((name, side), []).append(latencies)

        return run

    def timed_latencies(self, name: str, side: Side) -> list[float]:
        return [x for run in self.runs.get((name, side), [])[1:] for x in run]


def scenarios(
    sides: _Sides, engine: AsyncEngine, seeded: int, only: Sequence[str] = ()
) -> list[Scenario]:
    """The three routes as harness scenarios, inputs prepared before the clock starts."""
    rng = random.Random(7)
    counter = iter(range(10**9))
    table = baseline_table()

    def ids(n: int) -> list[Request]:
        return [("GET", f"/products/{rng.randint(1, seeded)}", None) for _ in range(n)]

    def lists(n: int) -> list[Request]:
        return [("GET", f"/products?limit={LIST_LIMIT}", None)] * n

    def creates(n: int) -> list[Request]:
        bodies: list[Request] = []
        for _ in range(n):
            index = next(counter)
            body = {
                "sku": f"http-{index:09d}",
                "name": f"Lamp {index}",
                "category": "cat-http",
                "price_cents": index % 997,
                "stock": index % 50,
            }
            bodies.append(("POST", "/products", msgspec.json.encode(body)))
        return bodies

    async def remove_created() -> None:
        async with engine.begin() as conn:
            await conn.execute(sa.delete(table).where(table.c.id > seeded))

    table_of: list[tuple[str, Callable[[int], Sequence[Any]], int, Any]] = [
        ("http_get", ids, 200, None),
        ("http_list", lists, 200, None),
        ("http_create", creates, 201, remove_created),
    ]
    return [
        Scenario(
            name=name,
            loom=sides.runner(name, "loom", expect),
            baseline=sides.runner(name, "baseline", expect),
            prepare=prepare,
            reset=reset,
        )
        for name, prepare, expect, reset in table_of
        if not only or name in only
    ]


async def check_same_results(sides: _Sides, seeded: int) -> None:
    """Both servers answer the three routes with the same statuses and JSON.

    Raises:
        AssertionError: When they differ (the comparison would be meaningless).
    """
    pairs = [await c.get("/products/1") for c in (sides.loom, sides.baseline)]
    assert [r.status_code for r in pairs] == [200, 200], [r.text for r in pairs]
    assert pairs[0].json() == pairs[1].json(), [r.text for r in pairs]
    pages = [await c.get(f"/products?limit={LIST_LIMIT}") for c in (sides.loom, sides.baseline)]
    loom_page, base_page = (r.json() for r in pages)
    assert loom_page["items"] == base_page["items"]
    assert loom_page["has_next"] == base_page["has_next"] == (seeded > LIST_LIMIT)
    assert set(loom_page) == set(base_page) == {"items", "next_cursor", "has_next"}
    created = []
    for client, sku in ((sides.loom, "check-loom"), (sides.baseline, "check-baseline")):
        body = {"sku": sku, "name": " Lamp ", "category": "c", "price_cents": 1, "stock": 2}
        response = await client.post("/products", json=body)
        assert response.status_code == 201, response.text
        document = response.json()
        assert response.headers["location"].endswith(f"/products/{document['id']}")
        created.append({k: v for k, v in document.items() if k not in {"id", "sku"}})
    same = ("name", "category", "price_cents", "stock")
    assert {k: created[0][k] for k in same} == {k: created[1][k] for k in same}
    assert created[0]["name"] == "Lamp"
    assert list(created[0]) == list(created[1])


async def run_backend(
    name: str, options: HttpOptions, progress: Callable[[str], None]
) -> HttpReport:
    """Start both servers on a fresh, seeded database of ``name`` and time the routes."""
    async with _location(name) as (url, connect_args):
        engine = create_async_engine(url, connect_args=connect_args, poolclass=NullPool)
        try:
            # Loom's server creates the tables (database.schema: create_all) before the seed.
            async with serve("loom", url, connect_args, profile=options.profile) as loom_url:
                progress(f"seeding {options.seed} rows")
                await _seed(engine, baseline_table(), options.seed)
                async with serve("baseline", url, connect_args) as base_url:
                    outcomes = await _measure(engine, loom_url, base_url, options, progress)
        finally:
            await engine.dispose()
    return HttpReport(name, options.rounds, outcomes)


async def _measure(
    engine: AsyncEngine,
    loom_url: str,
    base_url: str,
    options: HttpOptions,
    progress: Callable[[str], None],
) -> list[HttpOutcome]:
    async with (
        _client(loom_url, options.concurrency) as loom,
        _client(base_url, options.concurrency) as base,
    ):
        sides = _Sides(loom, base, options.concurrency)
        await check_same_results(sides, options.seed)
        table = baseline_table()
        async with engine.begin() as conn:
            await conn.execute(sa.delete(table).where(table.c.id > options.seed))
        outcomes = await run_interleaved(
            scenarios(sides, engine, options.seed, options.only),
            rounds=options.rounds,
            ops=options.requests,
            progress=progress,
        )
    results = []
    for outcome in outcomes:
        result = HttpOutcome(outcome, options.concurrency)
        for side in SIDES:
            result.latencies[side] = sides.timed_latencies(outcome.name, side)
        results.append(result)
    return results


async def run(options: HttpOptions, log: TextIO = sys.stderr) -> list[HttpReport]:
    """Run the HTTP benchmark on each backend in turn; progress goes to ``log``."""
    reports = []
    for name in options.backends:

        def progress(line: str, backend: str = name) -> None:
            print(f"[{backend} http] {line}", file=log, flush=True)

        reports.append(await run_backend(name, options, progress))
    return reports


def _percentile(samples: Sequence[float], q: int) -> float:
    if len(samples) < 2:
        return samples[0] if samples else float("nan")
    return statistics.quantiles(samples, n=100, method="inclusive")[q - 1]


def _ms(value: float) -> str:
    return f"{value * 1000:.2f}"


_HEADERS = (
    "backend",
    "route",
    "conc",
    "req/run",
    "loom req/s",
    "loom min-max",
    "base req/s",
    "base min-max",
    "ratio",
    "round ratios",
    "loom p50 ms",
    "loom p99 ms",
    "base p50 ms",
    "base p99 ms",
    f">={TARGET}",
)


def format_table(reports: Sequence[HttpReport]) -> str:
    """The reports as one aligned table, then how to read it and peak memory."""
    rows: list[tuple[str, ...]] = [_HEADERS]
    for report in reports:
        for result in report.outcomes:
            o = result.outcome
            loom, base, paired = Spread.of(o.loom), Spread.of(o.baseline), o.paired
            lat_loom, lat_base = result.latencies["loom"], result.latencies["baseline"]
            rows.append(
                (
                    report.backend,
                    o.name,
                    str(result.concurrency),
                    str(o.ops),
                    rate(loom.median),
                    f"{rate(loom.low)}-{rate(loom.high)}",
                    rate(base.median),
                    f"{rate(base.low)}-{rate(base.high)}",
                    f"{o.ratio:.3f}",
                    f"{paired.low:.3f}-{paired.high:.3f}",
                    _ms(_percentile(lat_loom, 50)),
                    _ms(_percentile(lat_loom, 99)),
                    _ms(_percentile(lat_base, 50)),
                    _ms(_percentile(lat_base, 99)),
                    "PASS" if result.passed else "FAIL",
                )
            )
    lines = align(rows)
    rounds = ", ".join(f"{r.backend}: {r.rounds} rounds" for r in reports)
    lines.append("")
    lines.append(
        f"req/s: medians of interleaved rounds ({rounds}); ratio = loom / hand-written; "
        "latency percentiles over every timed request"
    )
    lines.append(f"peak RSS of the load generator: {peak_rss_mib():.1f} MiB")
    return "\n".join(lines)


class _JsonSide(msgspec.Struct):
    median: float
    samples: list[float]
    p50_ms: float
    p99_ms: float


class _JsonRoute(msgspec.Struct):
    backend: str
    route: str
    concurrency: int
    requests_per_run: int
    loom: _JsonSide
    baseline: _JsonSide
    ratio: float
    passed: bool


def to_json(reports: Sequence[HttpReport]) -> bytes:
    """The reports as a JSON document (every round's rate included)."""

    def side(samples: list[float], latencies: list[float]) -> _JsonSide:
        return _JsonSide(
            statistics.median(samples),
            samples,
            _percentile(latencies, 50) * 1000,
            _percentile(latencies, 99) * 1000,
        )

    routes = [
        _JsonRoute(
            backend=report.backend,
            route=r.outcome.name,
            concurrency=r.concurrency,
            requests_per_run=r.outcome.ops,
            loom=side(r.outcome.loom, r.latencies["loom"]),
            baseline=side(r.outcome.baseline, r.latencies["baseline"]),
            ratio=r.outcome.ratio,
            passed=r.passed,
        )
        for report in reports
        for r in report.outcomes
    ]
    return msgspec.json.format(msgspec.json.encode({"target": TARGET, "routes": routes}), indent=2)
