"""Auto-CRUD and nested routes of the store, as a client sees them, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.integration.rest.conftest import AppFactory, assert_problem, fields_of, product

pytestmark = pytest.mark.integration


async def test_create_answers_201_with_location_and_the_stored_row(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/products", json=product(name="  Lamp  "))
    assert response.status_code == 201
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert response.headers["location"] == f"/products/{body['id']}"
    assert body["name"] == "Lamp"  # the custom repository trimmed it
    assert {"created_at", "updated_at"} <= body.keys()
    fetched = await client.get(response.headers["location"])
    assert fetched.status_code == 200
    assert fetched.json() == body


async def test_the_collection_path_answers_with_and_without_a_trailing_slash(
    client: httpx.AsyncClient,
) -> None:
    created = await client.post("/products/", json=product())
    assert created.status_code == 201
    assert created.headers["location"] == f"/products/{created.json()['id']}"
    listed = await client.get("/products/")
    assert listed.status_code == 200
    assert len(listed.json()["items"]) == 1


async def test_get_patch_delete_and_their_404s(client: httpx.AsyncClient) -> None:
    created = (await client.post("/products", json=product())).json()
    url = f"/products/{created['id']}"
    patched = await client.patch(url, json={"stock": 0})
    assert patched.status_code == 200
    assert patched.json()["stock"] == 0
    assert patched.json()["name"] == "Lamp"
    deleted = await client.delete(url)
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert "content-type" not in deleted.headers
    for response in (
        await client.get(url),
        await client.patch(url, json={"stock": 1}),
        await client.delete(url),
    ):
        body = assert_problem(response, 404, "not_found")
        assert body["detail"] == f"Product {created['id']} not found"


async def test_a_unique_violation_is_409_naming_the_field(client: httpx.AsyncClient) -> None:
    assert (await client.post("/products", json=product("DUP"))).status_code == 201
    body = assert_problem(await client.post("/products", json=product("DUP")), 409, "conflict")
    assert fields_of(body) == ["sku"]


async def test_read_only_fields_are_422_naming_each(client: httpx.AsyncClient) -> None:
    body = product(id=7, created_at="2024-01-01T00:00:00Z")
    problem = assert_problem(await client.post("/products", json=body), 422, "validation_error")
    assert fields_of(problem) == ["id", "created_at"]
    assert "read-only" in problem["errors"][0]["message"]
    created = (await client.post("/products", json=product())).json()
    problem = assert_problem(
        await client.patch(f"/products/{created['id']}", json={"updated_at": "2024-01-01"}),
        422,
        "validation_error",
    )
    assert fields_of(problem) == ["updated_at"]


async def test_a_body_with_several_problems_names_every_field(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/products", json={"sku": 5, "name": "Lamp", "price_cents": "cheap", "colour": "red"}
    )
    problem = assert_problem(response, 422, "validation_error")
    assert fields_of(problem) == ["sku", "category", "price_cents", "stock", "colour"]
    messages = {e["field"]: e["message"] for e in problem["errors"]}
    assert messages["category"] == "required field is missing"
    assert messages["sku"] == "expected str, got int"
    assert messages["colour"].startswith("unknown field")


async def test_null_on_a_required_field_is_422(client: httpx.AsyncClient) -> None:
    created = (await client.post("/products", json=product())).json()
    response = await client.patch(f"/products/{created['id']}", json={"name": None})
    assert fields_of(assert_problem(response, 422, "validation_error")) == ["name"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"sku": ', "malformed JSON"),
        (b"not json", "malformed JSON"),
        (b"[1, 2]", "expected object, got array"),
        (b'"text"', "expected object, got string"),
        (b"", "malformed JSON"),
    ],
)
async def test_a_body_that_is_not_a_json_object_is_400(
    client: httpx.AsyncClient, content: bytes, message: str
) -> None:
    response = await client.post(
        "/products", content=content, headers={"content-type": "application/json"}
    )
    problem = assert_problem(response, 400, "malformed_body")
    assert fields_of(problem) == ["body"]
    assert problem["errors"][0]["message"].startswith(message)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
async def test_a_body_that_is_not_json_by_media_type_is_415(
    client: httpx.AsyncClient, content_type: str
) -> None:
    response = await client.post(
        "/products", content=b'{"sku": "x"}', headers={"content-type": content_type}
    )
    assert_problem(response, 415, "unsupported_media_type")


async def test_a_json_body_without_content_type_is_415(client: httpx.AsyncClient) -> None:
    response = await client.post("/products", content=b'{"sku": "x"}')
    assert "content-type" not in response.request.headers
    assert_problem(response, 415, "unsupported_media_type")


async def test_json_with_a_charset_or_a_json_suffix_is_accepted(client: httpx.AsyncClient) -> None:
    import json

    for index, content_type in enumerate(
        ["application/json; charset=utf-8", "application/merge-patch+json"]
    ):
        response = await client.post(
            "/products",
            content=json.dumps(product(f"S{index}")).encode(),
            headers={"content-type": content_type},
        )
        assert response.status_code == 201, response.text


async def test_a_body_over_the_limit_is_413(serve: AppFactory) -> None:
    async with serve(**{"rest.body_limit": 64}) as (_, client):
        big = product(name="x" * 100)
        assert_problem(await client.post("/products", json=big), 413, "payload_too_large")

        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(10):
                yield b" " * 10  # streamed without Content-Length

        streamed = await client.post(
            "/products", content=chunks(), headers={"content-type": "application/json"}
        )
        assert "content-length" not in streamed.request.headers
        assert_problem(streamed, 413, "payload_too_large")
        small = await client.post("/products", json={"sku": "a"})
        assert small.status_code == 422  # under the limit: decoded and validated


async def test_a_path_parameter_that_does_not_convert_is_422_naming_it(
    client: httpx.AsyncClient,
) -> None:
    problem = assert_problem(await client.get("/products/abc"), 422, "validation_error")
    assert fields_of(problem) == ["id"]


async def test_nested_addresses_are_scoped_to_their_user(client: httpx.AsyncClient) -> None:
    ada = (await client.post("/users", json={"full_name": "Ada", "email": "ada@x.org"})).json()
    bob = (await client.post("/users", json={"full_name": "Bob", "email": "bob@x.org"})).json()
    address = {"label": "home", "street": "1 Main", "city": "Paris", "country": "FR"}
    address["zip_code"] = "75001"
    created = await client.post(f"/users/{ada['id']}/addresses/", json=address)
    assert created.status_code == 201
    body = created.json()
    assert body["user_id"] == ada["id"]
    location = created.headers["location"]
    assert location == f"/users/{ada['id']}/addresses/{body['id']}"
    assert (await client.get(location)).json() == body
    listed = await client.get(f"/users/{ada['id']}/addresses")
    assert [a["id"] for a in listed.json()["items"]] == [body["id"]]
    assert (await client.get(f"/users/{bob['id']}/addresses")).json()["items"] == []
    foreign = f"/users/{bob['id']}/addresses/{body['id']}"
    assert_problem(await client.get(foreign), 404, "not_found")
    assert_problem(await client.patch(foreign, json={"city": "Rome"}), 404, "not_found")
    patched = await client.patch(location, json={"city": "Lyon"})
    assert patched.json()["city"] == "Lyon"
    assert (await client.delete(location)).status_code == 204
    assert_problem(await client.get(location), 404, "not_found")
    missing_user = await client.post("/users/999/addresses", json=address)
    assert_problem(missing_user, 404, "not_found")
    incomplete = await client.post(f"/users/{ada['id']}/addresses", json={"label": "x"})
    problem = assert_problem(incomplete, 422, "validation_error")
    assert fields_of(problem) == ["street", "city", "country", "zip_code"]


async def test_deleting_a_user_deletes_its_addresses(client: httpx.AsyncClient) -> None:
    ada = (await client.post("/users", json={"full_name": "Ada", "email": "ada@x.org"})).json()
    address = {"label": "h", "street": "s", "city": "c", "country": "FR", "zip_code": "1"}
    await client.post(f"/users/{ada['id']}/addresses", json=address)
    assert (await client.delete(f"/users/{ada['id']}")).status_code == 204
    assert_problem(await client.get(f"/users/{ada['id']}/addresses/1"), 404, "not_found")


async def test_the_manifest_mode_serves_the_same_routes(serve: AppFactory) -> None:
    async with serve("manifest.yaml") as (_, client):
        created = await client.post("/products", json=product())
        assert created.status_code == 201
        low = await client.get("/products/low-stock")
        assert [p["sku"] for p in low.json()["items"]] == ["L1"]


async def test_integers_beyond_64_bits_are_client_errors_not_500(
    client: httpx.AsyncClient,
) -> None:
    big = 2**63
    for response in (
        await client.get(f"/products/{big}"),
        await client.patch(f"/products/{big}", json={"stock": 1}),
        await client.delete(f"/products/{big}"),
        await client.post(f"/users/{big}/addresses", json={}),
    ):
        assert response.status_code == 422, response.text
    response = await client.post("/products", json=product(price_cents=big))
    problem = assert_problem(response, 422, "validation_error")
    assert [e["field"] for e in problem["errors"]] == ["price_cents"]
    response = await client.get("/products", params={"price_cents": str(big)})
    assert_problem(response, 400, "invalid_query")
