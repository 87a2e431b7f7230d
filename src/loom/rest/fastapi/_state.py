"""What the FastAPI adapter keeps per application (``app.state.loom``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from loom.core.bootstrap import Kernel
from loom.rest._compile import CompiledRoute
from loom.rest._health import Readiness
from loom.rest._metrics import Counter, Histogram, MetricsRegistry


@dataclass(frozen=True, slots=True)
class HttpMetrics:
    """The request metrics the middleware records."""

    requests: Counter
    latency: Histogram

    @classmethod
    def on(cls, registry: MetricsRegistry) -> HttpMetrics:
        """Declare the request metrics in ``registry``."""
        return cls(
            requests=registry.counter(
                "http_requests_total",
                "HTTP requests answered, by method, route template and status.",
                ("method", "route", "status"),
            ),
            latency=registry.histogram(
                "http_request_duration_seconds",
                "Time to answer an HTTP request, by method and route template.",
                ("method", "route"),
            ),
        )


@dataclass(slots=True)
class LoomState:
    """The adapter's per-application objects.

    Attributes:
        kernel: The application kernel.
        metrics: The metrics registry (also in the kernel's container).
        readiness: The ``/ready`` checks; add your own with ``readiness.add(...)``.
        routes: The compiled routes served.
    """

    kernel: Kernel
    metrics: MetricsRegistry
    readiness: Readiness
    routes: list[CompiledRoute] = field(default_factory=list)
