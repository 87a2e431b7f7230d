"""The store's job routes over HTTP: 202 after commit, the job runs, callbacks update the row."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from loom.core.bootstrap import Kernel
from tests.integration.rest.conftest import AppFactory, assert_problem, product

pytestmark = pytest.mark.integration


async def created(client: httpx.AsyncClient, **fields: Any) -> int:
    response = await client.post("/products", json=product(**fields))
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def test_restock_email_route_runs_the_job_and_its_callback(serve: AppFactory) -> None:
    async with serve() as (app, client):
        product_id = await created(client, stock=0)
        response = await client.post(
            f"/products/{product_id}/jobs/restock-email",
            json={"recipient_email": "ops@example.com"},
        )
        assert response.status_code == 202, response.text
        body = response.json()
        assert body["queue"] == "notifications"
        assert body["job_id"]
        await kernel_of(app).drain()
        after = (await client.get(f"/products/{product_id}")).json()
        assert after["category"] == "home-restock-notified"


async def test_a_failing_job_reaches_the_failure_callback(serve: AppFactory) -> None:
    async with serve() as (app, client):
        product_id = await created(client, stock=0)
        response = await client.post(
            f"/products/{product_id}/jobs/restock-email",
            json={"recipient_email": "ops@example.com", "force_fail": True},
        )
        assert response.status_code == 202
        await kernel_of(app).drain()
        after = (await client.get(f"/products/{product_id}")).json()
        assert after["category"] == "home-restock-failed"


async def test_the_workflow_route_chains_a_use_case_and_a_job(serve: AppFactory) -> None:
    async with serve() as (app, client):
        product_id = await created(client, sku="W1", stock=0)
        response = await client.post(
            f"/products/{product_id}/workflows/restock",
            json={"recipient_email": "ops@example.com"},
        )
        assert response.status_code == 202, response.text
        body = response.json()
        assert body["summary"] == "W1 (Lamp) is out of stock."
        assert body["restock_job_id"]
        await kernel_of(app).drain()
        after = (await client.get(f"/products/{product_id}")).json()
        assert after["category"] == "home-restock-notified"


async def test_job_routes_refuse_bad_input_without_dispatching(serve: AppFactory) -> None:
    async with serve() as (_, client):
        response = await client.post("/products/abc/jobs/restock-email", json={})
        assert_problem(response, 422, "validation_error")
        product_id = await created(client)
        response = await client.post(f"/products/{product_id}/jobs/restock-email", json={})
        problem = assert_problem(response, 422, "validation_error")
        assert [e["field"] for e in problem["errors"]] == ["recipient_email"]


def kernel_of(app: FastAPI) -> Kernel:
    kernel: Kernel = app.state.loom.kernel
    return kernel
