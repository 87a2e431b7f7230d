"""The ``loom`` command fails with one line and exit status 1, never with a traceback.

Each test runs the installed ``loom`` console script in a process of its own, as a user would,
for each kind of failure: a database that does not answer, a wrong dialect or driver, a SQLite
folder that does not exist, a config file that does not exist. ``--debug`` shows the
traceback. ``loom check`` leaves the database as it found it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from sqlalchemy.ext.asyncio import create_async_engine

from tests.conftest import PG_URL, Database, require_postgres
from tests.faults import TcpProxy, spare_port, through

ROOT = Path(__file__).resolve().parents[3]
LOOM = Path(sys.executable).parent / "loom"
APP = "tests.integration.celery_jobs.app"
COMMANDS = ["check", "relay", "outbox status", "serve", "worker"]
TIMEOUT = 120


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def loom(*args: str, cwd: Path, env: dict[str, str] | None = None) -> Result:
    """Run the ``loom`` console script; ``cwd`` is where relative paths are read from."""
    assert LOOM.exists(), f"the loom console script is not installed at {LOOM}"
    environment = {k: v for k, v in os.environ.items() if k != "LOOM_DEBUG"}
    environment.update(PYTHONPATH=str(ROOT), **(env or {}))
    done = subprocess.run(
        [str(LOOM), *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    return Result(done.returncode, done.stdout, done.stderr)


def write_config(folder: Path, database: dict[str, Any], **sections: Any) -> Path:
    document = {
        "app": {"discovery": {"modules": {"include": [APP]}}},
        "database": database,
        "security": {"cursor_secret": "cli-test"},
        # `loom worker` needs the Celery backend; the others do not mind.
        "jobs": {"backend": "celery"},
        "celery": {"broker_url": "memory://"},
        **sections,
    }
    path = folder / "app.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


@pytest.fixture
def stopped_postgres() -> Iterator[str]:
    """A PostgreSQL URL whose server does not answer (a proxy in front of it, cut)."""
    require_postgres()
    with TcpProxy.for_url(PG_URL, 5432) as proxy:
        proxy.cut()
        yield through(PG_URL, proxy.port)


FAILURES = {
    "database down": (
        "refused the connection (is it running?); start it, or fix the host and port in "
        "database.url"
    ),
    "unknown dialect": "names the dialect 'nosuchdb', which SQLAlchemy does not know",
    "missing driver": "needs the driver module 'aiomysql', which is not installed",
    "synchronous driver": "the kernel needs an async driver: write postgresql+asyncpg://",
    "sqlite folder missing": "the folder 'missing/folder' does not exist; create it",
    "config file missing": "config file not found: nope.yaml",
}


def _failing_config(kind: str, folder: Path, down_url: str | None) -> str:
    urls = {
        "database down": down_url,
        "unknown dialect": "nosuchdb://user@127.0.0.1/app",
        "missing driver": "mysql+aiomysql://user@127.0.0.1/app",
        "synchronous driver": "postgresql://postgres@127.0.0.1/test",
        "sqlite folder missing": "sqlite+aiosqlite:///./missing/folder/app.db",
    }
    if kind == "config file missing":
        return "nope.yaml"
    write_config(folder, {"url": urls[kind]})
    return "app.yaml"


def assert_one_line(result: Result, config: str, expected: str) -> None:
    assert result.code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: {config}: "), lines[0]
    assert expected in lines[0]


# Every command meets every kind of failure; the three wrong-URL kinds take one code path, so
# the commands other than check meet one of them.
MATRIX = [
    (command, kind)
    for kind in FAILURES
    for command in COMMANDS
    if command == "check" or kind not in ("unknown dialect", "synchronous driver")
]


@pytest.mark.parametrize(("command", "kind"), MATRIX)
def test_each_failure_is_one_line_and_exit_1(
    command: str, kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    down = request.getfixturevalue("stopped_postgres") if kind == "database down" else None
    config = _failing_config(kind, tmp_path, down)
    # A spare port, so that a serve that wrongly got as far as uvicorn would not collide.
    options = ["--port", str(spare_port())] if command == "serve" else []
    result = loom(*command.split(), config, *options, cwd=tmp_path)
    assert_one_line(result, config, FAILURES[kind])
    assert result.stdout == ""


def test_debug_shows_the_traceback_then_the_line(tmp_path: Path, stopped_postgres: str) -> None:
    write_config(tmp_path, {"url": stopped_postgres})
    result = loom("check", "app.yaml", "--debug", cwd=tmp_path)
    assert result.code == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert result.stderr.splitlines()[-1].startswith("error: app.yaml: the PostgreSQL database")
    # The environment variable does the same, for commands started by a supervisor.
    assert "Traceback" in loom("relay", "app.yaml", cwd=tmp_path, env={"LOOM_DEBUG": "1"}).stderr


def test_the_worker_fails_before_celery_starts_its_processes(
    tmp_path: Path, stopped_postgres: str
) -> None:
    write_config(tmp_path, {"url": stopped_postgres})
    result = loom("worker", "app.yaml", "--concurrency", "2", cwd=tmp_path)
    assert_one_line(result, "app.yaml", "refused the connection")
    assert "ready" not in result.output
    assert "ForkPoolWorker" not in result.output


async def _tables(db: Database) -> set[str]:
    engine = create_async_engine(db.url, connect_args=db.connect_args)
    try:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda sync: sa.inspect(sync).get_table_names()))
    finally:
        await engine.dispose()


def _database(db: Database) -> dict[str, Any]:
    return {"url": db.url, "connect_args": db.connect_args} if db.connect_args else {"url": db.url}


async def test_check_creates_no_table(tmp_path: Path, db: Database) -> None:
    write_config(tmp_path, _database(db))
    result = loom("check", "app.yaml", cwd=tmp_path)
    assert result.code == 0, result.output
    assert "3 table(s) will be created at start" in result.stdout
    assert "celery_notes" in result.stdout
    assert await _tables(db) == set()


async def test_check_fails_on_missing_tables_without_create_all(
    tmp_path: Path, db: Database
) -> None:
    write_config(tmp_path, {**_database(db), "schema": "none"})
    result = loom("check", "app.yaml", cwd=tmp_path)
    assert result.code == 1, result.output
    problem = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(problem) == 1
    assert "database: no table " in problem[0]
    assert "run the migrations, or set database.schema: create_all" in problem[0]
    assert "Traceback" not in result.output
    assert await _tables(db) == set()


def test_relay_without_tables_says_to_create_them(tmp_path: Path) -> None:
    database = {"url": f"sqlite+aiosqlite:///{tmp_path / 'app.db'}", "schema": "none"}
    write_config(tmp_path, database, jobs={"backend": "inline"})
    result = loom("relay", "app.yaml", cwd=tmp_path)
    assert_one_line(result, "app.yaml", "the database has no table ")
    assert "set database.schema: create_all" in result.stderr


def _cache(port: int) -> dict[str, Any]:
    return {
        "aiocache": {
            "default": {
                "cache": "aiocache.RedisCache",
                "endpoint": "127.0.0.1",
                "port": port,
                "serializer": {"class": "loom.core.cache.serializer.MsgspecSerializer"},
            }
        }
    }


def test_check_reports_a_cache_that_does_not_answer(tmp_path: Path) -> None:
    port = spare_port()
    database = {"url": f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"}
    write_config(tmp_path, database, cache=_cache(port))
    result = loom("check", "app.yaml", cwd=tmp_path)
    assert result.code == 1, result.output
    assert "Traceback" not in result.output
    assert result.stdout.startswith("app.yaml: 1 problem(s)")
    assert (
        f"error: app.yaml: cache: the backend 'default' (RedisCache at 127.0.0.1:{port}) does "
        "not answer, so every read would go to the database; start it, or fix "
        "cache.aiocache.default"
    ) in result.stderr.splitlines()


def test_check_reports_a_cache_that_answers(tmp_path: Path, redis_url: str) -> None:
    port = int(redis_url.rsplit(":", 1)[1].split("/")[0])
    database = {"url": f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"}
    write_config(tmp_path, database, cache=_cache(port))
    result = loom("check", "app.yaml", cwd=tmp_path)
    assert result.code == 0, result.output
    assert f"cache: default (RedisCache at 127.0.0.1:{port}) answered" in result.stdout


def test_without_typer_the_command_says_which_extra_to_install(tmp_path: Path) -> None:
    script = "import sys; sys.modules['typer'] = None; from loom.cli import main; main()"
    done = subprocess.run(
        [sys.executable, "-c", script, "check", "app.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "error: the loom command needs typer, which is not installed; install the cli extra "
        "(pip install 'loom-framework[cli]')"
    ]
