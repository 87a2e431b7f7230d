"""Fixtures: the store app served through an in-process ASGI client on the test database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from loom.core.bootstrap import create_kernel
from loom.rest.fastapi import create_app_from_kernel
from tests.conftest import Database

STORE = Path(__file__).resolve().parents[3] / "examples" / "store" / "config"

AppFactory = Callable[..., AbstractAsyncContextManager[tuple[FastAPI, httpx.AsyncClient]]]


def database_overrides(db: Database) -> dict[str, Any]:
    """Config overrides pointing the store at the test database."""
    overrides: dict[str, Any] = {"database.url": db.url}
    if db.connect_args:
        overrides["database.connect_args"] = db.connect_args
    return overrides


@pytest.fixture
def serve(db: Database) -> AppFactory:
    """Start the store app (its lifespan opens the kernel) with extra config overrides."""

    @asynccontextmanager
    async def start(
        config: str = "api.yaml", **overrides: Any
    ) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
        kernel = create_kernel(STORE / config, overrides={**database_overrides(db), **overrides})
        app = create_app_from_kernel(kernel)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://store") as client:
                yield app, client

    return start


@pytest.fixture
async def client(serve: AppFactory) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the store app in modules mode."""
    async with serve() as (_, started):
        yield started


def product(sku: str = "L1", **fields: Any) -> dict[str, Any]:
    """A valid product body."""
    body: dict[str, Any] = {
        "sku": sku,
        "name": "Lamp",
        "category": "home",
        "price_cents": 1500,
        "stock": 3,
    }
    body.update(fields)
    return body


def camel_product(sku: str = "L1", **fields: Any) -> dict[str, Any]:
    """A valid product body in camelCase (``rest.casing: camel``, loom-kernel's clients)."""
    body = product(sku)
    body["priceCents"] = body.pop("price_cents")
    body.update(fields)
    return body


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """Check an RFC 9457 problem document and return it."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"urn:loom:problem:{code}"
    assert isinstance(body["title"], str)
    assert body["title"]
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert body["trace_id"] == response.headers["x-request-id"]
    return body


def fields_of(problem: dict[str, Any]) -> list[str]:
    """The field names a problem's ``errors`` list."""
    return [error["field"] for error in problem.get("errors", [])]
