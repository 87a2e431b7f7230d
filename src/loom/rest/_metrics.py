"""A small in-house metrics registry rendered in the Prometheus text format.

Counters, gauges (set directly or read from a callback at scrape time) and histograms, with
labels. One registry per application (``app.state.loom.metrics``, also registered in the
kernel's container as :class:`MetricsRegistry`), so two apps in one process never mix their
numbers. Imports the standard library and ``loom.core`` only.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from loom.core.errors import ConfigError

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
"""The media type of the Prometheus text exposition format."""

DEFAULT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
"""Histogram buckets in seconds, suited to request latencies."""

_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
_LABEL = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")

LabelValues = tuple[str, ...]


class _Metric:
    kind = "untyped"

    def __init__(self, name: str, help: str, labels: Sequence[str]) -> None:
        self.name = name
        self.help = help
        self.labels = tuple(labels)

    def key(self, values: dict[str, Any]) -> LabelValues:
        if set(values) != set(self.labels):
            raise ConfigError(
                f"metric {self.name}: labels {sorted(values)} given, but it declares "
                f"{list(self.labels)}; give exactly those"
            )
        return tuple(str(values[label]) for label in self.labels)

    def samples(self) -> list[tuple[str, LabelValues, tuple[tuple[str, str], ...], float]]:
        raise NotImplementedError

    def render(self) -> str:
        lines = [f"# HELP {self.name} {_escape_help(self.help)}", f"# TYPE {self.name} {self.kind}"]
        for suffix, values, extra, number in self.samples():
            pairs = [*zip(self.labels, values, strict=True), *extra]
            labels = ",".join(f'{k}="{_escape_label(v)}"' for k, v in pairs)
            lines.append(
                f"{self.name}{suffix}{'{' + labels + '}' if labels else ''} {_num(number)}"
            )
        return "\n".join(lines)


M = TypeVar("M", bound=_Metric)


class Counter(_Metric):
    """A count that only goes up (``http_requests_total``)."""

    kind = "counter"

    def __init__(self, name: str, help: str, labels: Sequence[str]) -> None:
        super().__init__(name, help, labels)
        self._values: dict[LabelValues, float] = {}

    def inc(self, amount: float = 1.0, **labels: Any) -> None:
        """Add ``amount`` (1 by default) to the series of ``labels``."""
        if amount < 0:
            raise ConfigError(f"counter {self.name} only goes up; got {amount}")
        key = self.key(labels)
        self._values[key] = self._values.get(key, 0.0) + amount

    def value(self, **labels: Any) -> float:
        """The current value of the series of ``labels`` (0 when never incremented)."""
        return self._values.get(self.key(labels), 0.0)

    def samples(self) -> list[tuple[str, LabelValues, tuple[tuple[str, str], ...], float]]:
        return [("", key, (), value) for key, value in sorted(self._values.items())]


class Gauge(_Metric):
    """A value that goes up and down, set directly or read from a callback at scrape time."""

    kind = "gauge"

    def __init__(
        self,
        name: str,
        help: str,
        labels: Sequence[str],
        function: Callable[[], float] | None = None,
    ) -> None:
        super().__init__(name, help, labels)
        if function is not None and self.labels:
            raise ConfigError(f"gauge {self.name}: a callback gauge cannot have labels")
        self._values: dict[LabelValues, float] = {}
        self._function = function

    def set(self, value: float, **labels: Any) -> None:
        """Set the series of ``labels`` to ``value``."""
        self._values[self.key(labels)] = float(value)

    def inc(self, amount: float = 1.0, **labels: Any) -> None:
        """Add ``amount`` to the series of ``labels``."""
        key = self.key(labels)
        self._values[key] = self._values.get(key, 0.0) + amount

    def dec(self, amount: float = 1.0, **labels: Any) -> None:
        """Subtract ``amount`` from the series of ``labels``."""
        self.inc(-amount, **labels)

    def samples(self) -> list[tuple[str, LabelValues, tuple[tuple[str, str], ...], float]]:
        if self._function is not None:
            return [("", (), (), float(self._function()))]
        return [("", key, (), value) for key, value in sorted(self._values.items())]


class Histogram(_Metric):
    """Observations counted into cumulative buckets, with their sum and count."""

    kind = "histogram"

    def __init__(
        self, name: str, help: str, labels: Sequence[str], buckets: Sequence[float]
    ) -> None:
        super().__init__(name, help, labels)
        if "le" in self.labels:
            raise ConfigError(f"histogram {self.name}: the label 'le' is reserved for buckets")
        bounds = sorted(float(b) for b in buckets if not math.isinf(b))
        if not bounds:
            raise ConfigError(f"histogram {self.name}: give at least one finite bucket")
        self.buckets = (*bounds, math.inf)
        self._series: dict[LabelValues, list[float]] = {}

    def observe(self, value: float, **labels: Any) -> None:
        """Record one observation in the series of ``labels``."""
        key = self.key(labels)
        # Per-bucket counts, then sum and count in the last two slots.
        series = self._series.setdefault(key, [0.0] * (len(self.buckets) + 2))
        for index, bound in enumerate(self.buckets):
            if value <= bound:
                series[index] += 1
                break
        series[-2] += value
        series[-1] += 1

    def count(self, **labels: Any) -> int:
        """How many observations the series of ``labels`` holds."""
        series = self._series.get(self.key(labels))
        return int(series[-1]) if series else 0

    def samples(self) -> list[tuple[str, LabelValues, tuple[tuple[str, str], ...], float]]:
        result: list[tuple[str, LabelValues, tuple[tuple[str, str], ...], float]] = []
        for key, series in sorted(self._series.items()):
            running = 0.0
            for bound, count in zip(self.buckets, series, strict=False):
                running += count
                result.append(("_bucket", key, (("le", _num(bound)),), running))
            result.append(("_sum", key, (), series[-2]))
            result.append(("_count", key, (), series[-1]))
        return result


class MetricsRegistry:
    """The metrics of one application; :meth:`render` gives the Prometheus text.

    Registering a name twice with the same kind and labels returns the existing metric, so
    independent parts may each declare what they use.

    Example:
        >>> registry = MetricsRegistry()
        >>> jobs = registry.counter("loom_jobs_total", "Jobs run.", ("queue",))
        >>> jobs.inc(queue="default")
        >>> print(registry.render())
        # HELP loom_jobs_total Jobs run.
        # TYPE loom_jobs_total counter
        loom_jobs_total{queue="default"} 1
        <BLANKLINE>
    """

    def __init__(self) -> None:
        self._metrics: dict[str, _Metric] = {}

    def counter(self, name: str, help: str, labels: Sequence[str] = ()) -> Counter:
        """Declare (or find) a counter."""
        return self._add(Counter, name, labels, lambda: Counter(name, help, labels))

    def gauge(
        self,
        name: str,
        help: str,
        labels: Sequence[str] = (),
        *,
        function: Callable[[], float] | None = None,
    ) -> Gauge:
        """Declare (or find) a gauge; ``function`` is read at every scrape when given."""
        return self._add(Gauge, name, labels, lambda: Gauge(name, help, labels, function))

    def histogram(
        self,
        name: str,
        help: str,
        labels: Sequence[str] = (),
        *,
        buckets: Sequence[float] = DEFAULT_BUCKETS,
    ) -> Histogram:
        """Declare (or find) a histogram."""
        return self._add(Histogram, name, labels, lambda: Histogram(name, help, labels, buckets))

    def get(self, name: str) -> Counter | Gauge | Histogram | None:
        """The metric called ``name``, or ``None``."""
        found = self._metrics.get(name)
        return found if isinstance(found, Counter | Gauge | Histogram) else None

    def render(self) -> str:
        """Every metric in the Prometheus text format, in registration order."""
        return "".join(metric.render() + "\n" for metric in self._metrics.values())

    def _add(self, kind: type[M], name: str, labels: Sequence[str], build: Callable[[], M]) -> M:
        if not _NAME.match(name):
            raise ConfigError(
                f"metric name {name!r} is not valid; use letters, digits, '_' and ':'"
            )
        for label in labels:
            if not _LABEL.match(label) or label.startswith("__"):
                raise ConfigError(f"metric {name}: label name {label!r} is not valid")
        existing = self._metrics.get(name)
        if existing is not None:
            if not isinstance(existing, kind) or existing.labels != tuple(labels):
                raise ConfigError(
                    f"metric {name} is already registered as a {existing.kind} with labels "
                    f"{list(existing.labels)}; use another name or the same declaration"
                )
            return existing
        metric = build()
        self._metrics[name] = metric
        return metric


def _num(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if math.isnan(value):
        return "NaN"
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def _escape_label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _escape_help(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n")
