"""Client input never reaches the database as a 500: lengths, NUL, page ends, list sizes, depth.

Every request here runs against the store on SQLite and on PostgreSQL; each answer is a 400 or
a 422 problem document that names the field or parameter and the limit, and nothing is stored.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from loom.core.query import MAX_FILTER_VALUES, MAX_PAGE_END, MAX_SORT_KEYS
from loom.rest.fastapi.auto import create_app
from tests.integration.rest.conftest import STORE, AppFactory, assert_problem, fields_of, product

pytestmark = pytest.mark.integration

JSON = {"content-type": "application/json"}
NUL_MESSAGE = "text may not contain the NUL character (\\u0000); remove it"


async def _count(client: httpx.AsyncClient, path: str = "/products/") -> int:
    page = await client.get(path, params={"pagination": "offset", "total": "true"})
    assert page.status_code == 200, page.text
    total: int = page.json()["total_count"]
    return total


async def _user(client: httpx.AsyncClient) -> int:
    created = await client.post("/users/", json={"full_name": "Ada", "email": "ada@example.com"})
    assert created.status_code == 201, created.text
    user_id: int = created.json()["id"]
    return user_id


def _address(**fields: Any) -> dict[str, Any]:
    body = {
        "label": "Home",
        "street": "1 Main St",
        "city": "Lyon",
        "country": "FR",
        "zip_code": "1",
    }
    body.update(fields)
    return body


# -- ColumnField(length=N) ---------------------------------------------------------------------


async def test_a_string_over_its_column_length_is_a_422_naming_the_field_and_limit(
    client: httpx.AsyncClient,
) -> None:
    too_long = await client.post("/products/", json=product(name="x" * 151))
    problem = assert_problem(too_long, 422, "validation_error")
    assert problem["errors"] == [{"field": "name", "message": "expected str of length <= 150"}]
    assert await _count(client) == 0

    fits = await client.post("/products/", json=product(name="x" * 150))
    assert fits.status_code == 201, fits.text
    patched = await client.patch(f"/products/{fits.json()['id']}", json={"sku": "s" * 65})
    problem = assert_problem(patched, 422, "validation_error")
    assert problem["errors"] == [{"field": "sku", "message": "expected str of length <= 64"}]
    stored = await client.get(f"/products/{fits.json()['id']}")
    assert stored.json()["sku"] == "L1"


async def test_a_hand_written_command_is_held_to_the_column_length_by_the_repository(
    client: httpx.AsyncClient,
) -> None:
    # CreateUserAddress declares `label: str`: the repository refuses what VARCHAR(80) cannot
    # hold, on SQLite (which would store it) as on PostgreSQL.
    user_id = await _user(client)
    response = await client.post(f"/users/{user_id}/addresses/", json=_address(label="x" * 81))
    problem = assert_problem(response, 422, "invalid_value")
    assert problem["errors"] == [{"field": "label", "message": "at most 80 characters; got 81"}]
    listed = await client.get(f"/users/{user_id}/addresses/")
    assert listed.json()["items"] == []


def test_openapi_shows_the_column_lengths_of_generated_bodies() -> None:
    schemas = create_app(STORE / "api.yaml").openapi()["components"]["schemas"]
    assert schemas["CreateProduct"]["properties"]["name"]["maxLength"] == 150
    assert schemas["CreateProduct"]["properties"]["sku"]["maxLength"] == 64
    patch_name = schemas["UpdateProduct"]["properties"]["name"]
    assert {"type": "string", "maxLength": 150} in patch_name["anyOf"]
    assert "more_errors" in schemas["Problem"]["properties"]


# -- NUL -------------------------------------------------------------------------------------


async def test_nul_in_a_body_string_is_a_422_naming_the_field(client: httpx.AsyncClient) -> None:
    body = b'{"sku": "L1", "name": "La\\u0000mp", "category": "home", "price_cents": 1, "stock": 1}'
    response = await client.post("/products/", content=body, headers=JSON)
    problem = assert_problem(response, 422, "validation_error")
    assert problem["errors"] == [{"field": "name", "message": NUL_MESSAGE}]
    assert await _count(client) == 0

    user_id = await _user(client)
    nested = await client.post(
        f"/users/{user_id}/addresses/", json=_address(city="Ly\x00on", zip_code="\x00")
    )
    problem = assert_problem(nested, 422, "validation_error")
    assert fields_of(problem) == ["city", "zip_code"]


async def test_nul_in_the_query_string_is_a_400_naming_the_parameter(
    client: httpx.AsyncClient,
) -> None:
    created = await client.post("/products/", json=product())
    assert created.status_code == 201
    for params, parameter in [
        ({"name": "La\x00mp"}, "name"),
        ({"sku__in": "L1,L\x00"}, "sku__in"),
        ({"name__contains": "\x00"}, "name__contains"),
        ({"profile": "\x00"}, "profile"),
    ]:
        response = await client.get("/products/", params=params)
        problem = assert_problem(response, 400, "invalid_query")
        assert fields_of(problem) == [parameter]
        assert "NUL character" in problem["errors"][0]["message"]
    low_stock = await client.get("/products/low-stock", params={"profile": "de\x00fault"})
    assert fields_of(assert_problem(low_stock, 400, "invalid_query")) == ["profile"]


# -- page * limit, in lists, sort keys --------------------------------------------------------


async def test_a_page_past_the_largest_offset_is_a_400(client: httpx.AsyncClient) -> None:
    await client.post("/products/", json=product())
    far = await client.get("/products/", params={"page": "1000000000"})
    problem = assert_problem(far, 400, "invalid_query")
    assert fields_of(problem) == ["page"]
    assert "the last page is 42949672" in problem["errors"][0]["message"]

    huge = await client.get("/products/", params={"page": "9" * 5000})
    assert fields_of(assert_problem(huge, 400, "invalid_query")) == ["page"]

    # The furthest page that fits is answered (empty) on every backend.
    limit = 1000
    last = await client.get("/products/", params={"page": MAX_PAGE_END // limit, "limit": limit})
    assert last.status_code == 200, last.text
    assert last.json()["items"] == []


async def test_an_in_list_over_the_limit_is_a_400_naming_it(client: httpx.AsyncClient) -> None:
    created = await client.post("/products/", json=product())
    assert created.status_code == 201
    ids = ",".join(str(i) for i in range(1, MAX_FILTER_VALUES + 2))
    response = await client.get("/products/", params={"id__not_in": ids})
    problem = assert_problem(response, 400, "invalid_query")
    assert fields_of(problem) == ["id__not_in"]
    assert f"at most {MAX_FILTER_VALUES} values, got {MAX_FILTER_VALUES + 1}" in problem["detail"]

    ids = ",".join(str(i) for i in range(1, MAX_FILTER_VALUES + 1))
    found = await client.get("/products/", params={"id__in": ids})
    assert found.status_code == 200, found.text
    assert [item["sku"] for item in found.json()["items"]] == ["L1"]

    # Two lists that fit one by one but not together.
    both = await client.get("/products/", params={"id__in": ids, "stock__in": "1,2"})
    problem = assert_problem(both, 400, "invalid_query")
    assert fields_of(problem) == ["filters"]
    assert f"at most {MAX_FILTER_VALUES}" in problem["detail"]


async def test_more_sort_keys_than_the_limit_is_a_400(client: httpx.AsyncClient) -> None:
    fields = ["sku", "name", "category", "price_cents", "stock", "created_at", "updated_at", "id"]
    assert len(fields) == MAX_SORT_KEYS
    ok = await client.get("/products/", params={"sort": ",".join(fields)})
    assert ok.status_code == 200, ok.text
    over = await client.get("/products/", params={"sort": ",".join([*fields, "-id"])})
    problem = assert_problem(over, 400, "invalid_query")
    assert problem["errors"] == [
        {"field": "sort", "message": f"at most {MAX_SORT_KEYS} sort keys may be given, got 9"}
    ]


# -- depth, problem size, profiles ------------------------------------------------------------


def _nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


@pytest.mark.parametrize(
    "body",
    [
        b'{"name": ' + _nested(100_000) + b"}",
        _nested(100_000),
        b'{"name": ' + _nested(64) + b"}",
    ],
    ids=["field-100000", "body-100000", "field-64"],
)
async def test_json_nested_deeper_than_the_limit_is_a_400(
    client: httpx.AsyncClient, body: bytes
) -> None:
    response = await client.post("/products/", content=body, headers=JSON)
    problem = assert_problem(response, 400, "malformed_body")
    assert "at most 64 are accepted" in problem["detail"]
    assert fields_of(problem) == ["body"]


async def test_json_nested_within_the_limit_reaches_the_decoder(
    client: httpx.AsyncClient,
) -> None:
    body = b'{"name": ' + _nested(63) + b"}"
    response = await client.post("/products/", content=body, headers=JSON)
    problem = assert_problem(response, 422, "validation_error")
    assert "name" in fields_of(problem)


async def test_a_problem_lists_twenty_errors_and_counts_the_rest(
    client: httpx.AsyncClient,
) -> None:
    sorted_a_lot = await client.get("/products/", params={"sort": ",".join(["id"] * 1000)})
    problem = assert_problem(sorted_a_lot, 400, "invalid_query")
    assert len(problem["errors"]) == 1
    assert len(sorted_a_lot.content) < 1_000

    unknown = await client.get("/products/", params={f"colour{i}": "red" for i in range(500)})
    problem = assert_problem(unknown, 400, "invalid_query")
    assert fields_of(problem) == [f"colour{i}" for i in range(20)]
    assert problem["more_errors"] == 480
    assert problem["detail"].endswith("; and 497 more")
    assert len(unknown.content) < 8_000


async def test_an_unknown_profile_is_a_400_naming_the_known_ones(
    client: httpx.AsyncClient,
) -> None:
    created = await client.post("/products/", json=product())
    for path in ("/products/", f"/products/{created.json()['id']}", "/products/low-stock"):
        response = await client.get(path, params={"profile": "nope"})
        problem = assert_problem(response, 400, "invalid_query")
        assert problem["errors"] == [
            {"field": "profile", "message": "unknown profile 'nope' for Product; profiles: default"}
        ]
        assert (await client.get(path, params={"profile": "default"})).status_code == 200


async def test_limits_hold_with_camel_case_bodies(serve: AppFactory) -> None:
    async with serve(**{"rest.casing": "camel"}) as (_, client):
        body = {**product(), "name": "Lamp\x00"}
        body["priceCents"] = body.pop("price_cents")
        nul = await client.post("/products/", json=body)
        assert assert_problem(nul, 422, "validation_error")["errors"] == [
            {"field": "name", "message": NUL_MESSAGE}
        ]
        body["name"] = "x" * 151
        too_long = await client.post("/products/", json=body)
        problem = assert_problem(too_long, 422, "validation_error")
        assert problem["errors"] == [{"field": "name", "message": "expected str of length <= 150"}]
