"""``rest.casing: camel``: camelCase bodies, results, list query strings and OpenAPI."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from loom.core.bootstrap import Kernel
from tests.integration.rest.conftest import AppFactory, assert_problem, camel_product, fields_of

pytestmark = pytest.mark.integration

CAMEL = {"rest.casing": "camel"}


@pytest.fixture
async def camel_app(serve: AppFactory) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    async with serve(**CAMEL) as started:
        yield started


@pytest.fixture
def camel_client(camel_app: tuple[FastAPI, httpx.AsyncClient]) -> httpx.AsyncClient:
    return camel_app[1]


async def test_create_reads_and_answers_camel_case(camel_client: httpx.AsyncClient) -> None:
    response = await camel_client.post("/products", json=camel_product())
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["priceCents"] == 1500
    assert {"createdAt", "updatedAt"} <= body.keys()
    assert not {"price_cents", "created_at", "updated_at"} & body.keys()
    assert response.headers["location"] == f"/products/{body['id']}"
    fetched = await camel_client.get(response.headers["location"])
    assert fetched.json() == body
    patched = await camel_client.patch(response.headers["location"], json={"priceCents": 900})
    assert patched.status_code == 200, patched.text
    assert patched.json()["priceCents"] == 900
    assert patched.json()["stock"] == 3


async def test_the_stored_row_keeps_its_column_names(
    camel_app: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    app, client = camel_app
    created = (await client.post("/products", json=camel_product())).json()
    kernel: Kernel = app.state.loom.kernel
    (model,) = {r.info.model for r in app.state.loom.routes if r.path.startswith("/products")}
    row = await kernel.for_model(model).get_by_id(created["id"])
    assert row is not None
    assert row.price_cents == 1500


async def test_a_snake_case_body_is_read_too(camel_client: httpx.AsyncClient) -> None:
    body = camel_product()
    body["price_cents"] = body.pop("priceCents")
    response = await camel_client.post("/products", json=body)
    assert response.status_code == 201, response.text
    assert response.json()["priceCents"] == 1500
    location = response.headers["location"]
    patched = await camel_client.patch(location, json={"price_cents": 900, "stock": 4})
    assert patched.status_code == 200, patched.text
    assert (patched.json()["priceCents"], patched.json()["stock"]) == (900, 4)
    user = await camel_client.post(
        "/users", json={"full_name": "Ada Lovelace", "email": "ada@example.com"}
    )
    assert user.status_code == 201, user.text
    address = {"label": "Home", "street": "1 Main", "city": "X", "country": "UK", "zip_code": "N1"}
    created = await camel_client.post(f"/users/{user.json()['id']}/addresses/", json=address)
    assert created.status_code == 201, created.text
    assert created.json()["zipCode"] == "N1"


async def test_a_field_sent_under_both_spellings_is_a_422_naming_it(
    camel_client: httpx.AsyncClient,
) -> None:
    response = await camel_client.post("/products", json=camel_product(price_cents=1500, stock=2))
    problem = assert_problem(response, 422, "validation_error")
    assert problem["errors"] == [
        {"field": "priceCents", "message": "sent twice, as priceCents and price_cents; send one"}
    ]
    unknown = await camel_client.post("/products", json=camel_product(colour_name="red"))
    problem = assert_problem(unknown, 422, "validation_error")
    assert fields_of(problem) == ["colour_name"]
    read_only = await camel_client.post("/products", json=camel_product(created_at="2020-01-01"))
    problem = assert_problem(read_only, 422, "validation_error")
    assert problem["errors"] == [
        {"field": "created_at", "message": "read-only field, set by the server; leave it out"}
    ]


async def test_a_validation_error_names_the_camel_case_field(
    camel_client: httpx.AsyncClient,
) -> None:
    response = await camel_client.post("/products", json=camel_product(priceCents="cheap"))
    problem = assert_problem(response, 422, "validation_error")
    assert fields_of(problem) == ["priceCents"]
    read_only = await camel_client.post("/products", json=camel_product(createdAt="2020-01-01"))
    problem = assert_problem(read_only, 422, "validation_error")
    assert problem["errors"] == [
        {"field": "createdAt", "message": "read-only field, set by the server; leave it out"}
    ]
    # Problem documents keep their own member names.
    assert "trace_id" in problem


async def test_nested_routes_read_camel_case_commands(camel_client: httpx.AsyncClient) -> None:
    user = await camel_client.post(
        "/users", json={"fullName": "Ada Lovelace", "email": "ada@example.com"}
    )
    assert user.status_code == 201, user.text
    assert user.json()["fullName"] == "Ada Lovelace"
    address = {
        "label": "Home",
        "street": "1 Main St",
        "city": "London",
        "country": "UK",
        "zipCode": "N1",
    }
    url = f"/users/{user.json()['id']}/addresses/"
    created = await camel_client.post(url, json=address)
    assert created.status_code == 201, created.text
    assert created.json()["zipCode"] == "N1"
    assert created.json()["userId"] == user.json()["id"]
    patched = await camel_client.patch(f"{url}{created.json()['id']}", json={"zipCode": "N2"})
    assert patched.status_code == 200, patched.text
    assert patched.json()["zipCode"] == "N2"
    assert patched.json()["city"] == "London"
    listed = await camel_client.get(url, params={"zipCode": "N2"})
    assert listed.status_code == 200, listed.text
    assert [item["zipCode"] for item in listed.json()["items"]] == ["N2"]


async def test_list_filters_and_sorts_on_camel_case_names(camel_client: httpx.AsyncClient) -> None:
    for sku, price in (("A", 100), ("B", 300), ("C", 200), ("D", 50)):
        response = await camel_client.post("/products", json=camel_product(sku, priceCents=price))
        assert response.status_code == 201, response.text
    listed = await camel_client.get(
        "/products",
        params={"priceCents__gte": "100", "sort": "-priceCents", "pagination": "offset"},
    )
    assert listed.status_code == 200, listed.text
    page = listed.json()
    assert [item["sku"] for item in page["items"]] == ["B", "C", "A"]
    assert page["hasNext"] is False
    assert page["totalCount"] is None
    counted = await camel_client.get(
        "/products", params={"pagination": "offset", "total": "true", "limit": "1"}
    )
    assert counted.json()["totalCount"] == 4
    assert counted.json()["hasNext"] is True


async def test_snake_case_query_names_are_read_too(camel_client: httpx.AsyncClient) -> None:
    for sku, price in (("A", 100), ("B", 300), ("C", 200)):
        response = await camel_client.post("/products", json=camel_product(sku, priceCents=price))
        assert response.status_code == 201, response.text
    listed = await camel_client.get(
        "/products", params={"price_cents__gte": "150", "sort": "-price_cents"}
    )
    assert listed.status_code == 200, listed.text
    assert [item["sku"] for item in listed.json()["items"]] == ["B", "C"]
    bad_filter = await camel_client.get("/products", params={"colour_name": "red"})
    problem = assert_problem(bad_filter, 400, "invalid_query")
    assert fields_of(problem) == ["colour_name"]
    assert "priceCents" in problem["errors"][0]["message"]
    bad_sort = await camel_client.get("/products", params={"sort": "-colour"})
    problem = assert_problem(bad_sort, 400, "invalid_query")
    assert "priceCents" in problem["errors"][0]["message"]
    assert "price_cents" not in problem["errors"][0]["message"]
    bad_value = await camel_client.get("/products", params={"priceCents__gte": "many"})
    problem = assert_problem(bad_value, 400, "invalid_query")
    assert fields_of(problem) == ["priceCents__gte"]
    assert "price_cents" not in problem["errors"][0]["message"]


async def test_cursor_pages_answer_in_camel_case(camel_client: httpx.AsyncClient) -> None:
    for index in range(5):
        response = await camel_client.post(
            "/products", json=camel_product(f"S{index}", priceCents=100 + index % 2)
        )
        assert response.status_code == 201, response.text
    seen: list[str] = []
    params: dict[str, str] = {"sort": "priceCents", "limit": "2"}
    while True:
        response = await camel_client.get("/products", params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        assert set(page) == {"items", "nextCursor", "hasNext"}
        seen.extend(item["sku"] for item in page["items"])
        if not page["hasNext"]:
            assert page["nextCursor"] is None
            break
        params = {"sort": "priceCents", "limit": "2", "cursor": page["nextCursor"]}
    assert sorted(seen) == [f"S{index}" for index in range(5)]
    assert len(seen) == 5


async def test_job_commands_reach_the_job_with_their_declared_names(
    camel_app: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    app, client = camel_app
    created = await client.post("/products", json=camel_product(stock=0))
    product_id = created.json()["id"]
    response = await client.post(
        f"/products/{product_id}/jobs/restock-email",
        json={"recipientEmail": "ops@example.com"},
    )
    assert response.status_code == 202, response.text
    assert response.json()["jobId"]
    kernel: Kernel = app.state.loom.kernel
    await kernel.drain()
    after = (await client.get(f"/products/{product_id}")).json()
    assert after["category"] == "home-restock-notified"


async def test_openapi_shows_camel_case_names(camel_client: httpx.AsyncClient) -> None:
    document = (await camel_client.get("/openapi.json")).json()
    schemas = document["components"]["schemas"]
    assert set(schemas["Product"]["properties"]) >= {"priceCents", "createdAt", "updatedAt"}
    assert "price_cents" not in schemas["Product"]["properties"]
    assert set(schemas["CreateProduct"]["properties"]) >= {"priceCents"}
    assert "priceCents" in schemas["UpdateProduct"]["properties"]
    pages = [name for name in schemas if name.startswith(("PageResult", "CursorResult"))]
    assert pages
    for name in pages:
        assert "hasNext" in schemas[name]["properties"]
        assert "has_next" not in schemas[name]["properties"]
    listing = document["paths"]["/products"]["get"]
    names = {param["name"] for param in listing["parameters"]}
    assert "priceCents" in names
    assert "price_cents" not in names
    (sort,) = [param for param in listing["parameters"] if param["name"] == "sort"]
    assert "-priceCents" in sort["schema"]["items"]["enum"]
    assert "snake_case names are accepted too" in sort["description"]
    (price,) = [param for param in listing["parameters"] if param["name"] == "priceCents"]
    assert "Also accepted as price_cents" in price["description"]
    create = document["paths"]["/products"]["post"]["requestBody"]
    assert create["x-loom-snake-case-aliases"]["price_cents"] == "priceCents"
    assert "snake_case" in create["description"]
    assert set(schemas["Problem"]["properties"]) >= {"type", "title", "trace_id", "errors"}


async def test_snake_case_stays_the_default(serve: AppFactory) -> None:
    async with serve() as (_, client):
        response = await client.post("/products", json=camel_product())
        problem = assert_problem(response, 422, "validation_error")
        assert "priceCents" in fields_of(problem)
        document = (await client.get("/openapi.json")).json()
        assert "price_cents" in document["components"]["schemas"]["Product"]["properties"]
