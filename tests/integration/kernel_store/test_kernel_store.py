"""The kernel store, written for loom-kernel 9, answers on Loom as loom-kernel 9 answered it.

``examples/kernel_store`` runs unchanged on loom-kernel 9 and on Loom. ``exchanges.json`` holds
the HTTP exchanges of this suite, in order, with what loom-kernel 9 answered to each (status and
body shape, recorded by ``scripts/record_kernel_store.py``; values that change from run to run
are placeholders checked by kind). Exchanges marked ``"loom"`` expect Loom's own answer where
loom-kernel 9 answered a 5xx or behaves differently on purpose; their ``why`` says which.
The suite boots the example with ``rest.compat: loom_kernel``, and nothing else changed.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from loom.core.bootstrap import Kernel, create_kernel
from loom.rest.fastapi import create_app_from_kernel
from tests.conftest import Database
from tests.integration.kernel_store.exchanges import fill, load, pick
from tests.integration.rest.conftest import database_overrides

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
CONFIG = ROOT / "examples" / "kernel_store" / "config" / "api.yaml"
EXCHANGES: list[dict[str, Any]] = load()["exchanges"]
FROM_CACHE = ("low stock again, from the cache",)
"""Exchanges Loom must answer from its cache (the example's low-stock query is cached)."""


@pytest.fixture
async def kernel_store(db: Database) -> AsyncIterator[tuple[Kernel, httpx.AsyncClient]]:
    # The example keeps its REST section where loom-kernel reads it, under app.
    overrides = {**database_overrides(db), "app.rest.compat": "loom_kernel"}
    kernel = create_kernel(CONFIG, overrides=overrides)
    app = create_app_from_kernel(kernel)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://kernel") as client:
            yield kernel, client


def _cache_hits(kernel: Kernel) -> int:
    cache = kernel.cache
    return 0 if cache is None or cache.data is None else cache.data.stats.hits


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value)


def _is_datetime(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


PLACEHOLDERS: dict[str, Callable[[Any], bool]] = {
    "<datetime>": _is_datetime,
    "<trace_id>": _is_text,
    "<text>": _is_text,
    "<cursor>": _is_text,
    "<uuid>": _is_text,
}


def differences(expected: Any, actual: Any, where: str = "$") -> list[str]:
    """Where ``actual`` does not have the recorded shape (placeholders match by kind)."""
    if isinstance(expected, str) and expected in PLACEHOLDERS:
        return [] if PLACEHOLDERS[expected](actual) else [f"{where}: {actual!r} is no {expected}"]
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where}: expected an object, got {actual!r}"]
        found = []
        if set(expected) != set(actual):
            found.append(f"{where}: keys {sorted(actual)}, recorded {sorted(expected)}")
        for key in expected.keys() & actual.keys():
            found.extend(differences(expected[key], actual[key], f"{where}.{key}"))
        return found
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{where}: expected {len(expected)} items, got {actual!r}"]
        found = []
        for index, (want, got) in enumerate(zip(expected, actual, strict=True)):
            found.extend(differences(want, got, f"{where}[{index}]"))
        return found
    if expected != actual or type(expected) is not type(actual):
        return [f"{where}: {actual!r}, recorded {expected!r}"]
    return []


def check(expect: dict[str, Any], response: httpx.Response) -> list[str]:
    """What differs between the answer and the expectation of one exchange."""
    if response.status_code != expect["status"]:
        return [f"status {response.status_code}, expected {expect['status']}: {response.text}"]
    if "problem" in expect:
        # Loom's own problem document, where loom-kernel 9 had no such answer.
        problem = response.json()
        found = []
        if response.headers["content-type"] != "application/problem+json":
            found.append(f"content-type {response.headers['content-type']}")
        if problem.get("code") != expect["problem"]:
            found.append(f"problem code {problem.get('code')!r}, expected {expect['problem']!r}")
        fields = [error["field"] for error in problem.get("errors", [])]
        if "fields" in expect and fields != expect["fields"]:
            found.append(f"problem fields {fields}, expected {expect['fields']}")
        return found
    if response.headers.get("content-type") != "application/json":
        return [f"content-type {response.headers.get('content-type')}, expected application/json"]
    return differences(expect["body"], response.json())


def test_the_entry_point_builds_the_app_on_loom(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.syspath_prepend(str(ROOT / "examples" / "kernel_store" / "src"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'kernel_store.db'}")
    main = importlib.import_module("shop.main")
    paths = {getattr(route, "path", None) for route in main.app.routes}
    assert {"/products/low-stock", "/users/{user_id}/orders", "/redoc"} <= paths


def test_the_recording_covers_the_exchanges() -> None:
    assert len(EXCHANGES) >= 90
    names = [exchange["name"] for exchange in EXCHANGES]
    assert len(set(names)) == len(names), "exchange names are unique"
    for exchange in EXCHANGES:
        expect = exchange["expect"]
        status = expect["status"]
        if "loom" in exchange:
            assert exchange["loom"]["why"]
        else:
            # Recorded from loom-kernel 9: success and client errors only.
            assert 200 <= status < 300 or 400 <= status < 500, exchange["name"]
            assert "body" in expect


async def test_the_kernel_store_answers_as_loom_kernel_9_did(
    kernel_store: tuple[Kernel, httpx.AsyncClient],
) -> None:
    kernel, client = kernel_store
    captured: dict[str, Any] = {}
    failures: list[str] = []
    cached_hits = 0
    for exchange in EXCHANGES:
        request = exchange["request"]
        options: dict[str, Any] = {"headers": request.get("headers", {})}
        try:
            if "json" in request:
                options["json"] = fill(request["json"], captured)
            path = fill(request["path"], captured)
        except KeyError as missing:
            failures.append(f"{exchange['name']}: not sent, {missing} was not captured")
            continue
        if "raw" in request:
            options["content"] = request["raw"].encode()
        hits = _cache_hits(kernel)
        response = await client.request(request["method"], path, **options)
        if exchange["name"] in FROM_CACHE:
            cached_hits += _cache_hits(kernel) - hits
        # Jobs run after the request commits; the next exchange reads what they wrote.
        await kernel.drain()
        found = check(exchange["expect"], response)
        if found:
            failures.append(f"{exchange['name']} ({request['method']} {path}): " + "; ".join(found))
            continue
        for name, where in exchange.get("capture", {}).items():
            captured[name] = pick(response.json(), where)
    assert not failures, f"{len(failures)} of {len(EXCHANGES)} exchanges differ:\n" + "\n".join(
        failures
    )
    assert cached_hits > 0, "the repeated low-stock query was not answered from the cache"
