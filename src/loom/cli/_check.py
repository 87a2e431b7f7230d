"""``loom check``: boot the application as the API would, compile everything, report."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loom.core.bootstrap import create_kernel


@dataclass
class CheckReport:
    """What ``loom check`` found.

    Attributes:
        counts: Components by kind (``models``, ``use cases``, ...), in display order.
        notes: Lines to print after the counts.
    """

    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


async def check(config_path: Path) -> CheckReport:
    """Boot the kernel of ``config_path`` (relay off), compile use cases, jobs and routes.

    Raises:
        LoomError: The first problem found (config, discovery, a marker, a route, the database).
    """
    kernel = create_kernel(config_path, overrides={"outbox.enabled": False})
    report = CheckReport()
    async with kernel:
        components = kernel.components
        report.counts["models"] = len(components.models)
        report.counts["use cases"] = len(kernel.plans)
        report.counts["jobs"] = len(components.jobs)
        report.counts["interfaces"] = len(components.interfaces)
        routes = _routes(kernel)
        if routes is None:
            report.notes.append("routes: not checked (loom.rest is not installed)")
        else:
            report.counts["routes"] = routes
        report.notes.append(f"database: {kernel.config.database.url.split('://', 1)[0]} answered")
        report.notes.append(f"jobs backend: {kernel.config.jobs.backend}")
    return report


def _routes(kernel: Any) -> int | None:
    if importlib.util.find_spec("fastapi") is None:
        return None
    from loom.rest.fastapi.auto import create_app_from_kernel

    # Building the app compiles every route of every interface; it is never served here.
    app = create_app_from_kernel(kernel)
    return len(app.state.loom.routes)
