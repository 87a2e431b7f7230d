"""``loom check``: boot the application as the API would, compile everything, report.

The check never changes the target database: tables are not created and migrations are not
run (``database.schema`` is treated as ``none``), and the relay stays off. It reports tables
that are missing, a database behind (a warning) or ahead of the migrations, and a cache that
does not answer.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from loom.core.bootstrap import Kernel
from loom.core.cache import CacheGateway
from loom.core.config import LoomConfig, load_config

PROBE_KEY = "loom:check"


@dataclass
class CheckReport:
    """What ``loom check`` found.

    Attributes:
        counts: Components by kind (``models``, ``use cases``, ...), in display order.
        notes: Lines to print after the counts.
        warnings: What needs attention but does not fail the check (a database behind the
            migrations).
        problems: What would fail or degrade in production, one line each (exit status 1).
    """

    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


async def check(config_path: Path) -> CheckReport:
    """Boot the kernel of ``config_path`` (relay off, no table created), check and report.

    Raises:
        LoomError: The first problem that stops the boot (config, discovery, a marker, a
            route, a database that does not answer).
    """
    config = load_config(config_path, overrides={"outbox.enabled": False})
    declared = config.database.schema
    # The schema is looked at, never created: a check must leave the database as it found it.
    kernel = Kernel(
        msgspec.structs.replace(
            config, database=msgspec.structs.replace(config.database, schema="none")
        )
    )
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
        await _check_database(kernel, declared, report)
        await _check_migrations(config_path, config, report)
        await _check_cache(kernel, report)
        report.notes.append(f"jobs backend: {kernel.config.jobs.backend}")
    return report


async def _check_database(kernel: Kernel, declared: str, report: CheckReport) -> None:
    missing = await kernel.persistence.missing_tables()
    dialect = kernel.config.database.url.split("://", 1)[0]
    if not missing:
        report.notes.append(f"database: {dialect} answered; every table exists")
    elif declared in ("create_all", "migrate"):
        how = "by the migrations" if declared == "migrate" else ""
        report.notes.append(
            f"database: {dialect} answered; {len(missing)} table(s) will be created at start "
            f"{how}{' ' if how else ''}(database.schema: {declared}): {', '.join(missing)}"
        )
    else:
        report.problems.append(
            f"database: no table {', '.join(missing)} (database.schema is 'none'); run the "
            "migrations, or set database.schema: create_all"
        )


async def _check_migrations(config_path: Path, config: LoomConfig, report: CheckReport) -> None:
    """Where the database is against the migrations, when the application has them."""
    declared = config.database.schema
    try:
        from loom.migrations import MigrationError, Migrations
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] != "alembic":
            raise
        if declared == "migrate":
            report.problems.append(
                "migrations: database.schema is 'migrate', but Alembic is not installed; "
                "install the migrations extra (pip install 'loom-framework[migrations]')"
            )
        return
    migrations = Migrations(config, config_name=str(config_path))
    try:
        if not migrations.project.exists():
            if declared == "migrate":
                migrations.project.require()
            return
        status = await migrations.status()
    except MigrationError as error:
        report.problems.append(f"migrations: {error}")
        return
    heads = ", ".join(head.id for head in status.heads)
    if status.unknown:
        report.problems.append(
            f"migrations: the database is at {', '.join(status.unknown)}, which the migrations "
            f"do not have (their head: {heads}): it was migrated by newer code; deploy that "
            "code, or downgrade the database with it"
        )
    elif status.pending:
        when = (
            "database.schema: migrate applies them at start"
            if declared == "migrate"
            else f"run `loom db upgrade {config_path}`"
        )
        report.warnings.append(
            f"migrations: the database is behind: {len(status.pending)} revision(s) to apply "
            f"({', '.join(r.id for r in status.pending)}); {when}"
        )
    else:
        report.notes.append(f"migrations: the database is at the head ({heads})")


async def _check_cache(kernel: Kernel, report: CheckReport) -> None:
    cache = kernel.cache
    if cache is None:
        report.notes.append("cache: none")
        return
    gateways = {id(g): g for g in (cache.data, cache.counters) if g is not None}
    for gateway in gateways.values():
        await gateway.exists(PROBE_KEY)
        if gateway.degraded:
            report.problems.append(
                f"cache: the backend {gateway.alias!r} ({_location(gateway)}) does not answer, "
                "so every read would go to the database; start it, or fix "
                f"cache.aiocache.{gateway.alias}"
            )
        else:
            report.notes.append(f"cache: {gateway.alias} ({_location(gateway)}) answered")


def _location(gateway: CacheGateway) -> str:
    backend = gateway.backend
    endpoint = getattr(backend, "endpoint", None)
    if endpoint is None:
        return "in-process memory"
    port = getattr(backend, "port", None)
    return f"{type(backend).__name__} at {endpoint}" + (f":{port}" if port else "")


def _routes(kernel: Any) -> int | None:
    if importlib.util.find_spec("fastapi") is None:
        return None
    from loom.rest.fastapi.auto import create_app_from_kernel

    # Building the app compiles every route of every interface; it is never served here.
    app = create_app_from_kernel(kernel)
    return len(app.state.loom.routes)
