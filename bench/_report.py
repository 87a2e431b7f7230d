"""The benchmark report: an aligned text table, a JSON document, and peak memory."""

from __future__ import annotations

import resource
import sys
from collections.abc import Sequence
from dataclasses import dataclass

import msgspec

from bench._harness import TARGET, Outcome, Spread


@dataclass(frozen=True, slots=True)
class BackendReport:
    """The outcomes of one backend."""

    backend: str
    rounds: int
    outcomes: list[Outcome]


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far, in MiB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def align(rows: Sequence[Sequence[str]], left: int = 2) -> list[str]:
    """Rows as aligned text: the first ``left`` columns to the left, the rest to the right,
    a rule under the header row."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for index, row in enumerate(rows):
        cells = [
            cell.ljust(width) if column < left else cell.rjust(width)
            for column, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    return lines


def rate(value: float) -> str:
    """Operations per second as text (one decimal below 100)."""
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def _range(spread: Spread) -> str:
    return f"{rate(spread.low)}-{rate(spread.high)}"


_HEADERS = (
    "backend",
    "operation",
    "ops/run",
    "loom ops/s",
    "loom min-max",
    "base ops/s",
    "base min-max",
    "ratio",
    "round ratios",
    f">={TARGET}",
)


def format_table(reports: Sequence[BackendReport]) -> str:
    """The reports as one aligned table, then peak memory.

    ``ratio`` is median(Loom) / median(baseline); ``round ratios`` is the range of the ratios
    of each round's two back-to-back runs, the spread to read the ratio against.
    """
    rows: list[tuple[str, ...]] = [_HEADERS]
    for report in reports:
        for o in report.outcomes:
            loom, base, paired = Spread.of(o.loom), Spread.of(o.baseline), o.paired
            rows.append(
                (
                    report.backend,
                    o.name,
                    str(o.ops),
                    rate(loom.median),
                    _range(loom),
                    rate(base.median),
                    _range(base),
                    f"{o.ratio:.3f}",
                    f"{paired.low:.3f}-{paired.high:.3f}",
                    "PASS" if o.passed else "FAIL",
                )
            )
    lines = align(rows)
    rounds = ", ".join(f"{r.backend}: {r.rounds} rounds" for r in reports)
    lines.append("")
    lines.append(f"medians of interleaved rounds ({rounds}); ratio = loom / baseline")
    lines.append(f"peak RSS: {peak_rss_mib():.1f} MiB")
    return "\n".join(lines)


class _JsonSide(msgspec.Struct):
    median: float
    min: float
    max: float
    q1: float
    q3: float
    samples: list[float]


class _JsonOperation(msgspec.Struct):
    backend: str
    operation: str
    ops_per_run: int
    loom: _JsonSide
    baseline: _JsonSide
    ratio: float
    round_ratios: list[float]
    passed: bool


class _JsonReport(msgspec.Struct):
    target: float
    peak_rss_mib: float
    operations: list[_JsonOperation]


def _side(samples: list[float]) -> _JsonSide:
    s = Spread.of(samples)
    return _JsonSide(s.median, s.low, s.high, s.q1, s.q3, samples)


def to_json(reports: Sequence[BackendReport]) -> bytes:
    """The reports as a JSON document (every sample included)."""
    operations = [
        _JsonOperation(
            backend=report.backend,
            operation=o.name,
            ops_per_run=o.ops,
            loom=_side(o.loom),
            baseline=_side(o.baseline),
            ratio=o.ratio,
            round_ratios=[a / b for a, b in zip(o.loom, o.baseline, strict=True)],
            passed=o.passed,
        )
        for report in reports
        for o in report.outcomes
    ]
    document = _JsonReport(target=TARGET, peak_rss_mib=peak_rss_mib(), operations=operations)
    return msgspec.json.format(msgspec.json.encode(document), indent=2)
