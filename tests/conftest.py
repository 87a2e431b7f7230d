"""Shared fixtures: database targets (SQLite file, PostgreSQL schema per test) and Redis."""

from __future__ import annotations

import contextlib
import os
import socket
import uuid
from collections.abc import AsyncIterator, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, settings

PG_URL = os.environ.get("LOOM_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("LOOM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
IN_CI = os.environ.get("CI") == "true"

settings.register_profile(
    "ci",
    deadline=None,
    max_examples=40,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.register_profile(
    "dev",
    deadline=None,
    max_examples=25,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.load_profile("ci" if IN_CI else os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def _reachable(url: str, default_port: int) -> bool:
    parts = urlsplit(url.replace("+asyncpg", ""))
    host = parts.hostname or "127.0.0.1"
    try:
        with socket.create_connection((host, parts.port or default_port), timeout=1):
            return True
    except OSError:
        return False


def require_server(name: str, url: str, default_port: int, hint: str) -> None:
    """Skip (outside CI) or fail (in CI) when a server does not answer."""
    if _reachable(url, default_port):
        return
    message = f"{name} at {url} does not answer; start it with: {hint}"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def require_postgres() -> None:
    """Skip or fail unless PostgreSQL answers."""
    require_server("PostgreSQL", PG_URL, 5432, "pg_ctlcluster <version> main start")


def require_redis() -> None:
    """Skip or fail unless Redis answers."""
    require_server(
        "Redis",
        REDIS_URL,
        6379,
        "redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no",
    )


@dataclass
class Database:
    """Where a test's tables live: a SQLite file or a private PostgreSQL schema."""

    kind: str
    url: str
    connect_args: dict[str, Any] = field(default_factory=dict)
    schema: str | None = None

    @property
    def is_postgres(self) -> bool:
        return self.kind == "postgresql"


async def _pg_admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_URL.replace("postgresql+asyncpg", "postgresql"))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def _postgres_schema() -> AsyncIterator[Database]:
    require_postgres()
    schema = f"loom_t_{uuid.uuid4().hex[:12]}"
    await _pg_admin(f'CREATE SCHEMA "{schema}"')
    try:
        yield Database(
            kind="postgresql",
            url=PG_URL,
            connect_args={"server_settings": {"search_path": schema}},
            schema=schema,
        )
    finally:
        await _pg_admin(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
async def postgres_db() -> AsyncIterator[Database]:
    """A private PostgreSQL schema, dropped after the test."""
    async with _postgres_schema() as database:
        yield database


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Database:
    """A SQLite file in the test's temporary folder."""
    return Database(kind="sqlite", url=f"sqlite+aiosqlite:///{tmp_path / 'test.db'}")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """The same test on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield Database(kind="sqlite", url=f"sqlite+aiosqlite:///{tmp_path / 'test.db'}")
    else:
        async with _postgres_schema() as database:
            yield database


RABBIT_URL = os.environ.get("LOOM_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")


def require_rabbitmq() -> None:
    """Skip or fail unless RabbitMQ answers."""
    require_server(
        "RabbitMQ", RABBIT_URL.replace("amqp://", "tcp://"), 5672, "rabbitmq-server -detached"
    )


@pytest.fixture
def amqp_url() -> str:
    """The RabbitMQ URL, after checking the server answers."""
    require_rabbitmq()
    return RABBIT_URL


@pytest.fixture
def redis_url() -> str:
    """The Redis URL, after checking the server answers."""
    require_redis()
    return REDIS_URL


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """In CI no test may be skipped: a skip there is a server or a tool that is missing.

    ``require_server`` and the private ``redis-server`` already fail in CI; this turns every
    other skip (a marker, ``importorskip``, a skip added later) into a failure too.
    """
    report = yield
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where every test must run: {reason}"
    return report
