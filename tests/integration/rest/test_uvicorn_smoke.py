"""The store example served by a real uvicorn process, spoken to over 127.0.0.1.

The in-process ASGI tests cover behaviour; this one covers what only a real server shows: the
demo script and the app factory start, the lifespan opens the kernel, HTTP/1.1 over a socket
carries the headers, and the process shuts down cleanly on a signal.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import msgspec
import pytest

from tests.conftest import Database

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
DEMO = ROOT / "examples" / "store_demo.py"
STORE_CONFIG = ROOT / "examples" / "store" / "config" / "api.yaml"
START_DEADLINE = 60.0
STOP_DEADLINE = 30.0


@dataclass(frozen=True, slots=True)
class Server:
    """A running uvicorn process and where it listens."""

    process: subprocess.Popen[bytes]
    base_url: str
    log: Path

    def output(self) -> str:
        """What the process wrote so far (stdout and stderr)."""
        return self.log.read_text(errors="replace")


def free_port() -> int:
    """A port nothing listens on right now (the kernel picks it for a bind to port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_healthy(server: Server) -> None:
    deadline = time.monotonic() + START_DEADLINE
    with httpx.Client(base_url=server.base_url, timeout=2.0) as client:
        while time.monotonic() < deadline:
            try:
                if client.get("/health").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            try:
                # Waits a little between polls, and notices at once a server that died.
                code = server.process.wait(timeout=0.1)
            except subprocess.TimeoutExpired:
                continue
            pytest.fail(f"uvicorn exited with {code} before answering:\n{server.output()}")
    pytest.fail(f"/health did not answer within {START_DEADLINE}s:\n{server.output()}")


@contextmanager
def running(
    args: list[str], env: dict[str, str], port: int, log: Path, unset: tuple[str, ...] = ()
) -> Iterator[Server]:
    """Start ``python <args>`` in the repository root, wait for ``/health``, stop it after
    (``unset``: variables of this environment the process must not see)."""
    inherited = {key: value for key, value in os.environ.items() if key not in unset}
    environment = {**inherited, **env, "PYTHONUNBUFFERED": "1"}
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, *args], cwd=ROOT, env=environment, stdout=sink, stderr=sink
        )
    server = Server(process, f"http://127.0.0.1:{port}", log)
    try:
        _wait_healthy(server)
        yield server
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=STOP_DEADLINE)


def stop(server: Server, sig: signal.Signals) -> int:
    """Send ``sig`` and return the exit status once the process is gone (bounded)."""
    server.process.send_signal(sig)
    return server.process.wait(timeout=STOP_DEADLINE)


def assert_clean_exit(server: Server, code: int, sig: signal.Signals) -> None:
    """The lifespan shut down (kernel stopped) and nothing failed on the way out.

    On SIGINT (Ctrl+C) the status is 0. On SIGTERM it is ``-SIGTERM``: uvicorn re-raises a
    captured SIGTERM after its graceful shutdown so that a supervisor sees the signal.
    """
    output = server.output()
    assert code == (0 if sig == signal.SIGINT else -sig), output
    assert "Application shutdown complete." in output, output
    assert "Finished server process" in output, output
    assert "Traceback" not in output, output
    assert "ERROR" not in output, output


def exercise_store(base_url: str) -> None:
    """The calls a user of the demo makes first, checked as the client sees them."""
    body = {
        "sku": "LAMP-1",
        "name": "Desk lamp",
        "category": "home",
        "price_cents": 2900,
        "stock": 2,
    }
    with httpx.Client(base_url=base_url, timeout=10.0) as client:
        created = client.post("/products", json=body, headers={"x-request-id": "smoke-1"})
        assert created.status_code == 201, created.text
        assert created.headers["x-request-id"] == "smoke-1"
        product = created.json()
        assert {k: product[k] for k in body} == body
        location = created.headers["location"]
        assert location.endswith(f"/products/{product['id']}")

        fetched = client.get(location)
        assert fetched.status_code == 200
        assert fetched.headers["content-type"] == "application/json"
        assert fetched.json() == product

        other = dict(body, sku="CHAIR-1", name="Chair", category="office", price_cents=9900)
        assert client.post("/products", json=other).status_code == 201
        listed = client.get("/products", params={"category": "home", "limit": 10})
        assert listed.status_code == 200
        assert [item["sku"] for item in listed.json()["items"]] == ["LAMP-1"]

        docs = client.get("/docs")
        assert docs.status_code == 200
        assert "text/html" in docs.headers["content-type"]
        openapi = client.get("/openapi.json")
        assert openapi.status_code == 200
        assert "/products/{id}" in msgspec.json.decode(openapi.content)["paths"]

        missing = client.get("/products/987654", headers={"x-request-id": "smoke-404"})
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/problem+json"
        assert missing.headers["x-request-id"] == "smoke-404"
        problem = missing.json()
        assert problem["status"] == 404
        assert problem["trace_id"] == "smoke-404"
        assert problem["code"] == "not_found"


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_the_demo_serves_the_store_on_sqlite(tmp_path: Path, sig: signal.Signals) -> None:
    port = free_port()
    env = {
        "LOOM_DEMO_PORT": str(port),
        "LOOM_DEMO_HOST": "127.0.0.1",
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'store.db'}",
    }
    with running([str(DEMO)], env, port, tmp_path / "server.log") as server:
        assert f"Loom store API: http://127.0.0.1:{port}" in server.output()
        exercise_store(server.base_url)
        code = stop(server, sig)
    assert_clean_exit(server, code, sig)
    assert (tmp_path / "store.db").exists()


def test_each_demo_run_migrates_a_new_database(tmp_path: Path) -> None:
    """``make demo`` twice: the example's create answers 201 both times (no 409 the second)."""
    lamp = {"sku": "LAMP-1", "name": "Desk lamp", "category": "home", "price_cents": 2900}
    for run in range(2):
        port = free_port()
        env = {"LOOM_DEMO_PORT": str(port), "LOOM_DEMO_HOST": "127.0.0.1", "TMPDIR": str(tmp_path)}
        log = tmp_path / f"run-{run}.log"
        with running([str(DEMO)], env, port, log, unset=("DATABASE_URL",)) as server:
            output = server.output()
            assert "$ loom db upgrade examples/store/config/api.yaml" in output
            assert "applied loom_0001: Loom's outbox, job runs and cache journal" in output
            assert "(a new SQLite file for this run)" in output
            with httpx.Client(base_url=server.base_url, timeout=10.0) as client:
                created = client.post("/products", json={**lamp, "stock": 2})
            assert created.status_code == 201, created.text
            assert stop(server, signal.SIGINT) == 0
    assert not list(tmp_path.glob("loom-demo-*"))  # each run's database went with it


def test_the_app_factory_serves_the_store_on_postgresql(
    tmp_path: Path, postgres_db: Database
) -> None:
    # connect_args (the schema's search_path) has no environment variable: a config file that
    # includes the store's and adds it.
    config = tmp_path / "api.yaml"
    document = {
        "includes": [str(STORE_CONFIG)],
        "database": {"url": postgres_db.url, "connect_args": postgres_db.connect_args},
    }
    config.write_bytes(msgspec.json.encode(document))
    port = free_port()
    args = [
        "-m",
        "uvicorn",
        "--factory",
        "tests.integration.rest._uvicorn_app:store",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    env = {"LOOM_CONFIG": str(config)}
    with running(args, env, port, tmp_path / "server.log") as server:
        exercise_store(server.base_url)
        code = stop(server, signal.SIGTERM)
    assert_clean_exit(server, code, signal.SIGTERM)
