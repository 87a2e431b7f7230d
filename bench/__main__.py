"""``python -m bench``: Loom's repository against a hand-written SQLAlchemy Core baseline.

Runs every operation through Loom and through the baseline, interleaved, on SQLite and on
PostgreSQL, and prints ops/s (median and spread), the ratio Loom/baseline per operation, and
the peak memory of the process. ``--suite http`` times the store's HTTP routes on uvicorn
against a hand-written FastAPI app instead (``bench.http``). See ``python -m bench --help``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import TextIO

from bench import http, repository
from bench._backends import open_backend
from bench._harness import run_interleaved
from bench._report import BackendReport, format_table, to_json

BACKENDS = ("sqlite", "postgresql")


@dataclass(frozen=True, slots=True)
class Options:
    """What to run."""

    backends: tuple[str, ...]
    rounds: int
    ops: int
    only: tuple[str, ...]
    seed: int
    trace: bool
    json: Path | None
    check: bool
    suite: str = "repository"
    concurrency: int = 16
    profile: Path | None = None


def _names(value: str) -> tuple[str, ...]:
    names = tuple(n.strip() for n in value.split(",") if n.strip())
    known = (*repository.NAMES, *http.NAMES)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown operation {', '.join(unknown)}; operations: {', '.join(known)}"
        )
    return names


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {number}")
    return number


def parse_args(argv: Sequence[str] | None = None) -> Options:
    """Parse the command line (``sys.argv[1:]`` when ``argv`` is ``None``)."""
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=(
            "Ops/s of Loom's repository against hand-written SQLAlchemy Core + msgspec, "
            "interleaved rounds, median and spread, ratio Loom/baseline per operation. "
            "PostgreSQL comes from LOOM_BENCH_PG_URL "
            "(default postgresql+asyncpg://postgres@127.0.0.1:5432/test)."
        ),
    )
    parser.add_argument(
        "--suite",
        choices=("repository", "http", "cache"),
        default="repository",
        help="repository: the repository's operations in process (default); cache: see "
        "--suite cache --help; http: GET "
        "/products/{id}, GET /products?limit=20 and POST /products on uvicorn against a "
        "hand-written FastAPI app",
    )
    parser.add_argument("--backend", choices=(*BACKENDS, "all"), default="all")
    parser.add_argument("--rounds", type=_positive, help="interleaved rounds (default 7)")
    parser.add_argument(
        "--ops",
        type=_positive,
        help="operations per timed run (default 300; create_many runs ops/50 batches; "
        "http: requests per route and run, default 1500)",
    )
    parser.add_argument(
        "--only",
        type=_names,
        default=(),
        help=f"comma-separated: {','.join(repository.NAMES)} (http: {','.join(http.NAMES)})",
    )
    parser.add_argument(
        "--concurrency",
        type=_positive,
        default=16,
        help="http: requests in flight at once, on keep-alive connections (default 16)",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        help="http: write a cProfile of the Loom server process to this file (pstats format)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="tiny numbers for a smoke run (a few seconds)"
    )
    parser.add_argument(
        "--trace",
        action="store_true",
        help="run Loom with a trace id set, as inside a request (costs a statement on PG reads)",
    )
    parser.add_argument("--json", type=Path, help="also write the report as JSON to this file")
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit with status 1 when an operation is below its target (0.95; http 0.9)",
    )
    args = parser.parse_args(argv)
    backends = BACKENDS if args.backend == "all" else (args.backend,)
    wrong = [
        n for n in args.only if n not in (http.NAMES if args.suite == "http" else repository.NAMES)
    ]
    if wrong:
        parser.error(f"--only {','.join(wrong)} is not part of the {args.suite} suite")
    default_ops = (
        (60 if args.quick else 1500) if args.suite == "http" else (10 if args.quick else 300)
    )
    return Options(
        backends=backends,
        rounds=args.rounds or (3 if args.quick else 7),
        ops=args.ops or default_ops,
        only=args.only,
        seed=200 if args.quick else 2000,
        trace=args.trace,
        json=args.json,
        check=args.check,
        suite=args.suite,
        concurrency=args.concurrency,
        profile=args.profile,
    )


async def run(options: Options, log: TextIO = sys.stderr) -> list[BackendReport]:
    """Run the benchmark on each backend in turn; progress goes to ``log``."""
    reports = []
    for name in options.backends:

        def progress(line: str, backend: str = name) -> None:
            print(f"[{backend}] {line}", file=log, flush=True)

        print(f"[{name}] seeding {options.seed} rows", file=log, flush=True)
        async with open_backend(name, seed=options.seed) as backend:
            await repository.check_same_results(backend)
            scenarios = repository.scenarios(backend, trace=options.trace, only=options.only)
            outcomes = await run_interleaved(
                scenarios,
                rounds=options.rounds,
                ops=options.ops,
                progress=progress,
            )
        reports.append(BackendReport(name, options.rounds, outcomes))
    return reports


def _main_http(options: Options, out: TextIO) -> int:
    http_options = http.HttpOptions(
        backends=options.backends,
        rounds=options.rounds,
        requests=options.ops,
        concurrency=options.concurrency,
        only=options.only,
        seed=options.seed,
        profile=options.profile,
    )
    reports = asyncio.run(http.run(http_options))
    print(http.format_table(reports), file=out)
    if options.json is not None:
        options.json.write_bytes(http.to_json(reports))
    failed = any(not o.passed for report in reports for o in report.outcomes)
    return 1 if options.check and failed else 0


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout) -> int:
    """Run ``python -m bench`` with ``argv``; print the table to ``out``; return the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    if "--suite=cache" in args or ("--suite", "cache") in pairwise(args):
        from bench import cache  # imported here: only this suite needs the redis extra

        return cache.main(args, out=out)
    options = parse_args(args)
    if options.suite == "http":
        return _main_http(options, out)
    reports = asyncio.run(run(options))
    print(format_table(reports), file=out)
    if options.json is not None:
        options.json.write_bytes(to_json(reports))
    failed = any(not o.passed for report in reports for o in report.outcomes)
    return 1 if options.check and failed else 0


if __name__ == "__main__":
    sys.exit(main())
