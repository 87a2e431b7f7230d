"""``python -m bench``: Loom's repository against a hand-written SQLAlchemy Core baseline.

Runs every operation through Loom and through the baseline, interleaved, on SQLite and on
PostgreSQL, and prints ops/s (median and spread), the ratio Loom/baseline per operation, and
the peak memory of the process. See ``python -m bench --help``.
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

from bench import repository
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


def _names(value: str) -> tuple[str, ...]:
    names = tuple(n.strip() for n in value.split(",") if n.strip())
    unknown = [n for n in names if n not in repository.NAMES]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown operation {', '.join(unknown)}; operations: {', '.join(repository.NAMES)}"
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
    parser.add_argument("--backend", choices=(*BACKENDS, "all"), default="all")
    parser.add_argument("--rounds", type=_positive, help="interleaved rounds (default 7)")
    parser.add_argument(
        "--ops",
        type=_positive,
        help="operations per timed run (default 300; create_many runs ops/50 batches)",
    )
    parser.add_argument(
        "--only", type=_names, default=(), help=f"comma-separated: {','.join(repository.NAMES)}"
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
        "--check", action="store_true", help="exit with status 1 when an operation is below 0.95"
    )
    args = parser.parse_args(argv)
    backends = BACKENDS if args.backend == "all" else (args.backend,)
    return Options(
        backends=backends,
        rounds=args.rounds or (3 if args.quick else 7),
        ops=args.ops or (10 if args.quick else 300),
        only=args.only,
        seed=200 if args.quick else 2000,
        trace=args.trace,
        json=args.json,
        check=args.check,
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


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout) -> int:
    """Run ``python -m bench`` with ``argv``; print the table to ``out``; return the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    if "--suite=cache" in args or ("--suite", "cache") in pairwise(args):
        from bench import cache  # imported here: only this suite needs the redis extra

        return cache.main(args, out=out)
    options = parse_args(args)
    reports = asyncio.run(run(options))
    print(format_table(reports), file=out)
    if options.json is not None:
        options.json.write_bytes(to_json(reports))
    failed = any(not o.passed for report in reports for o in report.outcomes)
    return 1 if options.check and failed else 0


if __name__ == "__main__":
    sys.exit(main())
