"""HTTP behaviour of the app: request ids, problem documents, operations endpoints, auth."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI

from loom.core.bootstrap import Components, Kernel
from loom.core.config import load_config
from loom.rest._health import CheckResult
from loom.rest.fastapi import LoomState, create_app_from_kernel
from tests.conftest import Database
from tests.integration.rest.conftest import (
    STORE,
    AppFactory,
    assert_problem,
    database_overrides,
    product,
)

pytestmark = pytest.mark.integration


async def test_a_safe_request_id_is_echoed(client: httpx.AsyncClient) -> None:
    response = await client.get("/health", headers={"x-request-id": "req-42.a:b"})
    assert response.headers["x-request-id"] == "req-42.a:b"
    missing = await client.get("/products/999", headers={"x-request-id": "abc-123"})
    assert missing.json()["trace_id"] == "abc-123"


@pytest.mark.parametrize("sent", [None, "bad id with spaces", "x" * 200, "<script>"])
async def test_an_absent_or_unsafe_request_id_is_replaced(
    client: httpx.AsyncClient, sent: str | None
) -> None:
    headers = {"x-request-id": sent} if sent is not None else {}
    response = await client.get("/health", headers=headers)
    generated = response.headers["x-request-id"]
    assert generated != sent
    assert len(generated) == 32
    int(generated, 16)


async def test_a_traceparent_gives_its_trace_id(client: httpx.AsyncClient) -> None:
    trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    parent = f"00-{trace}-00f067aa0ba902b7-01"
    response = await client.get("/health", headers={"traceparent": parent})
    assert response.headers["x-request-id"] == trace
    both = await client.get("/health", headers={"traceparent": parent, "x-request-id": "mine"})
    assert both.headers["x-request-id"] == "mine"
    invalid = await client.get("/health", headers={"traceparent": f"00-{'0' * 32}-{'1' * 16}-01"})
    assert invalid.headers["x-request-id"] != "0" * 32


async def test_the_request_id_header_is_configurable(serve: AppFactory) -> None:
    async with serve(**{"trace.header": "x-correlation-id"}) as (_, client):
        response = await client.get("/health", headers={"x-correlation-id": "corr-1"})
        assert response.headers["x-correlation-id"] == "corr-1"
        assert "x-request-id" not in response.headers


async def test_framework_404_and_405_are_problem_documents(client: httpx.AsyncClient) -> None:
    missing = assert_problem(await client.get("/nowhere"), 404, "not_found")
    assert missing["detail"] == "no route matches GET /nowhere; see the API docs"
    not_allowed = await client.put("/products/1", json={})
    body = assert_problem(not_allowed, 405, "method_not_allowed")
    assert "PATCH" in not_allowed.headers["allow"]
    assert "allowed:" in body["detail"]


async def test_health_and_ready(client: httpx.AsyncClient) -> None:
    health = await client.get("/health")
    assert health.status_code == 200
    assert health.json() == {"status": "ok"}
    ready = await client.get("/ready")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "checks": {"database": {"status": "ok"}}}


async def test_ready_is_503_when_the_database_does_not_answer(serve: AppFactory) -> None:
    async with serve() as (app, client):
        state: LoomState = app.state.loom

        async def down() -> bool:
            raise OSError("connection refused")

        state.readiness.add("database", down, critical=True)
        response = await client.get("/ready")
        body = assert_problem(response, 503, "not_ready")
        assert body["checks"]["database"]["status"] == "down"
        assert "database" in body["detail"]
        assert (await client.get("/health")).status_code == 200


async def test_a_degraded_cache_is_reported_not_failed(serve: AppFactory) -> None:
    async with serve() as (app, client):
        state: LoomState = app.state.loom

        async def cache() -> CheckResult:
            return CheckResult(status="degraded", detail="redis unreachable; reads skip it")

        state.readiness.add("cache", cache)
        response = await client.get("/ready")
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "degraded"
        assert body["checks"]["cache"] == {
            "status": "degraded",
            "detail": "redis unreachable; reads skip it",
        }


async def test_metrics_count_requests_by_route_template(client: httpx.AsyncClient) -> None:
    created = (await client.post("/products", json=product())).json()
    await client.get(f"/products/{created['id']}")
    await client.get("/products/999")
    await client.get("/nowhere/at/all")
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    text = response.text
    assert 'http_requests_total{method="POST",route="/products",status="201"} 1' in text
    assert 'http_requests_total{method="GET",route="/products/{id}",status="200"} 1' in text
    assert 'http_requests_total{method="GET",route="/products/{id}",status="404"} 1' in text
    assert 'http_requests_total{method="GET",route="unmatched",status="404"} 1' in text
    assert "# TYPE http_request_duration_seconds histogram" in text
    assert 'duration_seconds_bucket{method="GET",route="/products/{id}",le="+Inf"} 2' in text
    assert 'http_request_duration_seconds_count{method="GET",route="/products/{id}"} 2' in text


async def test_metrics_report_cache_hits_and_pool_usage(serve: AppFactory) -> None:
    cache = {
        "cache": {
            "aiocache_alias": "cache",
            "counter_alias": "counters",
            "aiocache": {
                "cache": {
                    "cache": "aiocache.SimpleMemoryCache",
                    "serializer": {"class": "loom.core.cache.serializer.MsgspecSerializer"},
                },
                "counters": {"cache": "aiocache.SimpleMemoryCache"},
            },
        }
    }
    async with serve(**cache) as (_, client):
        # Users have the default repository, cached; ProductRepository did not opt in.
        user = {"full_name": "Ada", "email": "ada@example.com"}
        created = (await client.post("/users", json=user)).json()
        for _ in range(3):
            assert (await client.get(f"/users/{created['id']}")).status_code == 200
        text = (await client.get("/metrics")).text
    assert "loom_cache_misses 1" in text
    assert "loom_cache_hits 2" in text
    # The outbox relay polls in the background and may hold one connection at scrape time.
    checked_out = re.search(r"^loom_db_pool_checked_out (\d+)$", text, re.MULTILINE)
    assert checked_out is not None
    assert int(checked_out.group(1)) in (0, 1)
    assert re.search(r"^loom_db_pool_size 10$", text, re.MULTILINE)
    assert "loom_post_commit_hook_failures 0" in text


async def test_operations_endpoints_can_be_switched_off(serve: AppFactory) -> None:
    overrides = {"rest.health": False, "rest.ready": False, "metrics.enabled": False}
    async with serve(**overrides) as (_, client):
        for path in ("/health", "/ready", "/metrics"):
            assert_problem(await client.get(path), 404, "not_found")


async def test_metrics_path_is_configurable(serve: AppFactory) -> None:
    async with serve(**{"metrics.path": "/internal/metrics"}) as (_, client):
        assert (await client.get("/internal/metrics")).status_code == 200


@asynccontextmanager
async def custom_app(db: Database) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    from app.product.model import Product
    from tests.integration.rest.custom import CrashUseCase, DownUseCase, GuardedInterface

    config = load_config(STORE / "api.yaml", overrides=database_overrides(db))
    components = Components(
        models=[Product], use_cases=[CrashUseCase, DownUseCase], interfaces=[GuardedInterface]
    )
    app = create_app_from_kernel(Kernel(config, components))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://custom") as client:
            yield app, client


TOKEN = {"x-token": "secret"}


async def test_interface_and_route_dependencies_guard_routes(db: Database) -> None:
    async with custom_app(db) as (_, client):
        missing = assert_problem(await client.get("/guarded"), 422, "validation_error")
        assert missing["errors"][0]["field"] == "header.x-token"
        wrong = await client.get("/guarded", headers={"x-token": "nope"})
        assert assert_problem(wrong, 401, "unauthorized")["detail"] == "bad token"
        assert wrong.headers["www-authenticate"] == "x"
        assert (await client.get("/guarded", headers=TOKEN)).status_code == 200
        admin = await client.post("/guarded/admin", headers=TOKEN)
        assert_problem(admin, 403, "forbidden")


async def test_interface_allowlists_limit_filters_and_sorts(db: Database) -> None:
    async with custom_app(db) as (_, client):
        assert (await client.get("/guarded?stock__lt=3&sort=-stock", headers=TOKEN)).is_success
        name = await client.get("/guarded?name=Lamp", headers=TOKEN)
        assert_problem(name, 400, "invalid_query")
        sort = await client.get("/guarded?sort=sku", headers=TOKEN)
        assert "sortable fields: stock" in assert_problem(sort, 400, "invalid_query")["detail"]


async def test_an_unexpected_exception_is_a_logged_500_without_internals(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    async with custom_app(db) as (_, client):
        with caplog.at_level(logging.ERROR, logger="loom.rest"):
            response = await client.get("/guarded/crash", headers={**TOKEN, "x-request-id": "t-1"})
        body = assert_problem(response, 500, "internal_error")
        assert "secret internals" not in response.text
        assert "Traceback" not in response.text
        assert body["trace_id"] == "t-1"
        records = [r for r in caplog.records if "t-1" in r.getMessage()]
        assert records
        assert records[0].exc_info is not None
        assert getattr(records[0], "trace_id", None) == "t-1"


async def test_an_unavailable_server_is_503(db: Database) -> None:
    async with custom_app(db) as (_, client):
        response = await client.get("/guarded/down", headers=TOKEN)
        body = assert_problem(response, 503, "unavailable")
        assert body["detail"] == "the search server does not answer; retry later"
