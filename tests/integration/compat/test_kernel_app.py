"""An application written for loom-kernel 9 boots and behaves on Loom (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from loom.core.bootstrap import create_kernel
from loom.core.cache import CachedCalls, GatewayCachedCalls
from loom.core.errors import ConfigError
from loom.core.query import QuerySpec
from loom.core.repository.abc import RepoFor
from loom.rest.fastapi import create_app_from_kernel
from tests.conftest import Database
from tests.integration.compat.app import Failure, Gadget, GadgetRepo, GadgetRepository
from tests.integration.rest.conftest import database_overrides

pytestmark = pytest.mark.integration

CONFIG = Path(__file__).with_name("config.yaml")


@pytest.fixture
async def served(db: Database) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    kernel = create_kernel(CONFIG, overrides=database_overrides(db))
    app = create_app_from_kernel(kernel)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gadgets") as client:
            yield app, client


async def _gadget(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    response = await client.post("/gadgets/", json={"name": "Lamp", "label": "desk", **fields})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_the_kernel_configuration_is_read(served: tuple[FastAPI, httpx.AsyncClient]) -> None:
    app, client = served
    kernel = app.state.loom.kernel

    assert kernel.config.rest.title == "Gadget API"
    assert (kernel.config.logging.json, kernel.config.logging.level) == (True, "DEBUG")
    assert (await client.get("/redoc")).status_code == 200
    assert (await client.get("/spec.json")).json()["info"]["title"] == "Gadget API"
    assert (await client.get("/openapi.json")).status_code == 404
    preflight = await client.options(
        "/gadgets/1",
        headers={"Origin": "https://shop.example", "Access-Control-Request-Method": "PATCH"},
    )
    assert preflight.headers["access-control-allow-origin"] == "https://shop.example"


async def test_patch_writes_only_the_sent_fields(served: tuple[FastAPI, httpx.AsyncClient]) -> None:
    _, client = served
    gadget = await _gadget(client, stock=3)

    renamed = await client.patch(f"/gadgets/{gadget['id']}/edit", json={"name": "Desk lamp"})
    cleared = await client.patch(f"/gadgets/{gadget['id']}/edit", json={"label": None})

    assert renamed.status_code == 200, renamed.text
    assert renamed.json() | {"id": 0} == {"id": 0, "name": "Desk lamp", "label": "desk", "stock": 3}
    assert cleared.status_code == 422  # require_present(name) when label is present
    cleared = await client.patch(
        f"/gadgets/{gadget['id']}/edit", json={"label": None, "name": "Lamp"}
    )
    assert cleared.json()["label"] is None
    assert cleared.json()["stock"] == 3


async def test_loom_kernel_rules_refuse_with_their_fields(
    served: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    _, client = served
    gadget = await _gadget(client)

    cleared = await client.patch(f"/gadgets/{gadget['id']}/edit", json={"stock": None})
    banged = await client.patch(f"/gadgets/{gadget['id']}/edit", json={"label": "!x", "name": "a"})
    missing = await client.patch("/gadgets/999/edit", json={"stock": None})

    assert cleared.status_code == 422
    assert cleared.json()["errors"] == [
        {"field": "EditGadget", "message": "stock cannot be cleared"}
    ]
    assert banged.status_code == 422
    assert banged.json()["errors"] == [{"field": "label", "message": "must not start with '!'"}]
    assert missing.status_code == 404  # LoadById answers before loom-kernel-style rules


async def test_exists_answers_false_and_the_repository_is_found_by_its_protocol(
    served: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    app, client = served
    gadget = await _gadget(client)

    found = await client.get(f"/gadgets/{gadget['id']}/status")
    unknown = await client.get("/gadgets/999/status")

    assert found.json() == {"known": True, "named": True}
    assert unknown.status_code == 200
    assert unknown.json() == {"known": False, "named": True}
    container = app.state.loom.kernel.container
    assert isinstance(container.resolve(GadgetRepo), GadgetRepository)
    assert container.resolve(GadgetRepo) is container.resolve(RepoFor[Gadget])
    assert isinstance(container.resolve(CachedCalls), GatewayCachedCalls)


@pytest.mark.parametrize(
    ("kind", "status", "headers"),
    [
        ("missing", 404, {}),
        ("rule", 422, {}),
        ("login", 401, {"www-authenticate": "Bearer"}),
        ("forbidden", 403, {}),
        ("slow", 429, {"retry-after": "3"}),
        ("conflict", 409, {}),
    ],
)
async def test_loom_kernel_errors_answer_with_their_statuses(
    served: tuple[FastAPI, httpx.AsyncClient], kind: str, status: int, headers: dict[str, str]
) -> None:
    _, client = served

    response = await client.get(f"/gadgets/refuse/{kind}")

    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    for name, value in headers.items():
        assert response.headers[name] == value
    if kind == "missing":
        assert response.json()["detail"] == "Gadget with id='missing' not found"


async def test_a_failed_job_reaches_a_loom_kernel_failure_callback(
    served: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    app, client = served
    kernel = app.state.loom.kernel
    gadget = await _gadget(client)

    response = await client.post(f"/gadgets/{gadget['id']}/break")
    await kernel.drain()

    assert response.json()["queue"] == "breakdowns"  # jobs.BreakGadgetJob.queue
    failures = await kernel.for_model(Failure).list_with_query(QuerySpec())
    assert [(f.job_id, f.exc_type, f.exc_msg, f.gadget_id) for f in failures.items] == [
        (response.json()["job_id"], "RuntimeError", f"gadget {gadget['id']} broke", gadget["id"])
    ]


async def test_a_per_job_setting_for_an_unknown_class_fails_the_boot(db: Database) -> None:
    overrides = {**database_overrides(db), "jobs.BreakGadgetJobs": {"queue": "x"}}

    with pytest.raises(ConfigError) as caught:
        async with create_kernel(CONFIG, overrides=overrides):
            pass

    assert "unknown key 'jobs.BreakGadgetJobs'" in str(caught.value)
    assert "did you mean 'BreakGadgetJob'?" in str(caught.value)
