"""The OpenAPI document: every route, filter, sort key, body and problem is described."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.integration


@pytest.fixture
async def document(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def params(operation: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in operation["parameters"]}


async def test_every_route_is_documented_once(document: dict[str, Any]) -> None:
    assert document["info"] == {"title": "Dummy Store API", "version": "0.1.0"}
    assert set(document["paths"]) == {
        "/products",
        "/products/{id}",
        "/products/low-stock",
        "/products/{product_id}/jobs/restock-email",
        "/products/{product_id}/workflows/restock",
        "/users",
        "/users/{id}",
        "/users/{user_id}/addresses",
        "/users/{user_id}/addresses/{address_id}",
    }
    assert set(document["paths"]["/products"]) == {"get", "post"}
    assert set(document["paths"]["/products/{id}"]) == {"get", "patch", "delete"}
    operation = document["paths"]["/products/low-stock"]["get"]
    assert operation["summary"] == "List low stock products"
    assert operation["tags"] == ["Products"]


async def test_list_filters_and_sort_keys_are_documented(document: dict[str, Any]) -> None:
    listed = params(document["paths"]["/products"]["get"])
    for field in ("id", "sku", "name", "category", "price_cents", "stock", "created_at"):
        assert listed[field]["in"] == "query"
    assert listed["price_cents"]["schema"] == {"type": "integer"}
    assert "price_cents__gte" in listed["price_cents"]["description"]
    assert "price_cents__between (low,high)" in listed["price_cents"]["description"]
    assert "name__ilike" in listed["name"]["description"]
    assert "price_cents__like" not in listed["price_cents"]["description"]
    sort = listed["sort"]["schema"]["items"]["enum"]
    assert {"price_cents", "-price_cents", "id", "-id"} <= set(sort)
    assert listed["limit"]["schema"]["maximum"] == 1000
    assert listed["limit"]["schema"]["default"] == 50
    assert listed["pagination"]["schema"]["default"] == "cursor"
    assert listed["profile"]["schema"]["default"] == "default"
    assert {"page", "cursor", "total"} <= set(listed)


async def test_paths_bodies_and_responses_are_documented(document: dict[str, Any]) -> None:
    create = document["paths"]["/products"]["post"]
    body_schema = create["requestBody"]["content"]["application/json"]["schema"]
    assert body_schema == {"$ref": "#/components/schemas/CreateProduct"}
    command = document["components"]["schemas"]["CreateProduct"]
    assert set(command["properties"]) == {"sku", "name", "category", "price_cents", "stock"}
    assert "Location" in create["responses"]["201"]["headers"]
    problem = create["responses"]["422"]["content"]["application/problem+json"]["schema"]
    assert problem == {"$ref": "#/components/schemas/Problem"}
    assert {"400", "409", "413", "415", "422"} <= set(create["responses"])
    get = document["paths"]["/products/{id}"]["get"]
    assert params(get)["id"] == {
        "name": "id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer"},
    }
    result = get["responses"]["200"]["content"]["application/json"]["schema"]
    assert result == {"$ref": "#/components/schemas/Product"}
    assert "204" in document["paths"]["/products/{id}"]["delete"]["responses"]
    nested = document["paths"]["/users/{user_id}/addresses/{address_id}"]["patch"]
    assert set(params(nested)) == {"user_id", "address_id"}
    patch_ref = nested["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert patch_ref == "#/components/schemas/UpdateAddress"
    assert "Problem" in document["components"]["schemas"]


async def test_the_docs_page_is_served_at_the_configured_url(client: httpx.AsyncClient) -> None:
    response = await client.get("/docs")
    assert response.status_code == 200
    assert "swagger" in response.text.lower()
