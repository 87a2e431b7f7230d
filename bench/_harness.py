"""Timing: interleaved rounds of Loom and baseline runs, and the statistics of the samples.

Each round runs every scenario once per side, Loom first in one round and the baseline first
in the next, so drift on a shared machine (other processes, CPU frequency, the database's
caches) falls on both sides alike. Inputs are prepared before the clock starts and a reset
(deleting rows a write created) runs after it stops, so only the operations are timed.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Side = Literal["loom", "baseline"]
SIDES: tuple[Side, Side] = ("loom", "baseline")

TARGET = 0.95
"""The issue's target: every operation at least this fraction of the baseline's ops/s."""

Runner = Callable[[Sequence[Any]], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class Scenario:
    """One operation, done the Loom way and the hand-written way.

    Attributes:
        name: The operation's name in the report.
        loom: Runs the operation once per input through Loom.
        baseline: Runs it once per input through SQLAlchemy Core and msgspec.
        prepare: Builds ``n`` inputs (untimed); called once per side and round.
        reset: Restores the table after a timed run (untimed), or ``None``.
        ops_divisor: Divides ``--ops`` for operations much heavier than one row.
    """

    name: str
    loom: Runner
    baseline: Runner
    prepare: Callable[[int], Sequence[Any]]
    reset: Callable[[], Awaitable[None]] | None = None
    ops_divisor: int = 1

    def ops(self, ops: int) -> int:
        """Operations per timed run for a ``--ops`` of ``ops``."""
        return max(1, ops // self.ops_divisor)


@dataclass(frozen=True, slots=True)
class Spread:
    """Summary of a list of samples."""

    median: float
    low: float
    high: float
    q1: float
    q3: float

    @classmethod
    def of(cls, samples: Sequence[float]) -> Spread:
        """The median, range and quartiles of ``samples`` (at least one)."""
        if len(samples) >= 2:
            q1, _, q3 = statistics.quantiles(samples, n=4, method="inclusive")
        else:
            q1 = q3 = samples[0]
        return cls(statistics.median(samples), min(samples), max(samples), q1, q3)


@dataclass(slots=True)
class Outcome:
    """The samples of one scenario: ops/s per round for each side.

    Attributes:
        name: The operation's name.
        ops: Operations per timed run.
        loom: Loom's ops/s, one per round.
        baseline: The baseline's ops/s, one per round.
    """

    name: str
    ops: int
    loom: list[float] = field(default_factory=list)
    baseline: list[float] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        """median(Loom) / median(baseline)."""
        return statistics.median(self.loom) / statistics.median(self.baseline)

    @property
    def paired(self) -> Spread:
        """The per-round ratios Loom/baseline (each round's two runs ran back to back)."""
        return Spread.of([a / b for a, b in zip(self.loom, self.baseline, strict=True)])

    @property
    def passed(self) -> bool:
        """Whether the ratio of medians meets :data:`TARGET`."""
        return self.ratio >= TARGET


async def _timed(runner: Runner, inputs: Sequence[Any]) -> float:
    # Collect the previous run's garbage now, so one side does not pay for the other's.
    gc.collect()
    start = time.perf_counter()
    await runner(inputs)
    elapsed = time.perf_counter() - start
    return len(inputs) / elapsed


async def _run_side(scenario: Scenario, side: Side, n: int) -> float:
    inputs = scenario.prepare(n)
    runner = scenario.loom if side == "loom" else scenario.baseline
    try:
        return await _timed(runner, inputs)
    finally:
        if scenario.reset is not None:
            await scenario.reset()


async def run_interleaved(
    scenarios: Sequence[Scenario],
    *,
    rounds: int,
    ops: int,
    progress: Callable[[str], None] | None = None,
) -> list[Outcome]:
    """Time every scenario ``rounds`` times per side, alternating which side goes first.

    One untimed warm-up run per side fills the pools, the statement caches and the database's
    buffers before the first timed round.

    Args:
        scenarios: What to time.
        rounds: Timed runs per side and scenario.
        ops: Operations per timed run (divided by each scenario's ``ops_divisor``).
        progress: Called with a short line after each round, or ``None``.

    Returns:
        One :class:`Outcome` per scenario, in the order given.
    """
    outcomes = [Outcome(s.name, s.ops(ops)) for s in scenarios]
    for scenario in scenarios:
        for side in SIDES:
            await _run_side(scenario, side, max(1, scenario.ops(ops) // 4))
    for index in range(rounds):
        for position, (scenario, outcome) in enumerate(zip(scenarios, outcomes, strict=True)):
            # Alternate by round and by scenario, so neither side always follows the same one.
            order = SIDES if (index + position) % 2 == 0 else SIDES[::-1]
            for side in order:
                rate = await _run_side(scenario, side, outcome.ops)
                (outcome.loom if side == "loom" else outcome.baseline).append(rate)
        if progress is not None:
            progress(f"round {index + 1}/{rounds} done")
    return outcomes
