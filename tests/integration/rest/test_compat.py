"""``rest.compat: loom_kernel``: loom-kernel 9's wire format, on the store example.

The kernel store suite (``tests/integration/kernel_store``) checks the format against what
loom-kernel 9 answered; these tests pin each part of it on Loom's own example, and that the
default format is left as it was.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from loom.core.bootstrap import Kernel
from tests.integration.rest.conftest import AppFactory, assert_problem
from tests.integration.rest.conftest import camel_product as product

pytestmark = pytest.mark.integration

COMPAT = {"rest.compat": "loom_kernel"}


@pytest.fixture
async def compat_app(serve: AppFactory) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    async with serve(**COMPAT) as started:
        yield started


@pytest.fixture
def kernel_client(compat_app: tuple[FastAPI, httpx.AsyncClient]) -> httpx.AsyncClient:
    return compat_app[1]


def detail(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """Check a loom-kernel error body and return its ``detail``."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"detail"}
    found: dict[str, Any] = body["detail"]
    assert found["code"] == code
    assert isinstance(found["message"], str)
    assert found["message"]
    assert found["trace_id"] == response.headers["x-request-id"]
    return found


async def test_models_commands_and_pages_are_camel_case(kernel_client: httpx.AsyncClient) -> None:
    created = await kernel_client.post("/products/", json=product())
    assert created.status_code == 201, created.text
    assert set(created.json()) == {
        "id",
        "sku",
        "name",
        "category",
        "priceCents",
        "stock",
        "createdAt",
        "updatedAt",
    }
    snake = await kernel_client.post("/products/", json={**product("L2"), "price_cents": 5})
    assert snake.status_code == 422  # both spellings of one field
    from_snake = product("L2")
    from_snake["price_cents"] = from_snake.pop("priceCents")
    assert (await kernel_client.post("/products/", json=from_snake)).json()["priceCents"] == 1500
    page = (await kernel_client.get("/products/?limit=1")).json()
    assert set(page) == {"items", "nextCursor", "hasNext"}
    followed = await kernel_client.get(f"/products/?limit=1&after={page['nextCursor']}")
    assert [item["sku"] for item in followed.json()["items"]] == ["L2"]


async def test_other_structs_keep_their_declared_names(
    compat_app: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    app, client = compat_app
    created = (await client.post("/products/", json=product(stock=0))).json()
    queued = await client.post(
        f"/products/{created['id']}/jobs/restock-email", json={"recipientEmail": "a@example.com"}
    )
    assert queued.status_code == 202, queued.text
    # A plain msgspec response Struct: loom-kernel 9 writes its names as declared.
    assert set(queued.json()) == {"job_id", "queue"}
    kernel: Kernel = app.state.loom.kernel
    await kernel.drain()
    after = (await client.get(f"/products/{created['id']}")).json()
    assert after["category"] == "home-restock-notified"


async def test_every_offset_page_carries_its_total(kernel_client: httpx.AsyncClient) -> None:
    for sku in ("A", "B", "C"):
        await kernel_client.post("/products/", json=product(sku, stock=1))
    page = (await kernel_client.get("/products/?pagination=offset&limit=2")).json()
    assert page == {**page, "totalCount": 3, "page": 1, "limit": 2, "hasNext": True}
    # A use case that builds its own offset query without asking for the total gets it too.
    low = (await kernel_client.get("/products/low-stock")).json()
    assert low["totalCount"] == 3


async def test_a_limit_over_the_maximum_is_served_the_maximum(serve: AppFactory) -> None:
    async with serve(**COMPAT, **{"rest.max_limit": 2, "rest.default_limit": 2}) as (_, client):
        for sku in ("A", "B", "C"):
            await client.post("/products/", json=product(sku))
        page = (await client.get("/products/?pagination=offset&limit=500")).json()
        assert (page["limit"], len(page["items"]), page["totalCount"]) == (2, 2, 3)


async def test_auto_delete_answers_true_then_false(kernel_client: httpx.AsyncClient) -> None:
    created = (await kernel_client.post("/products/", json=product())).json()
    first = await kernel_client.delete(f"/products/{created['id']}")
    assert (first.status_code, first.json()) == (200, True)
    again = await kernel_client.delete(f"/products/{created['id']}")
    assert (again.status_code, again.json()) == (200, False)


async def test_a_route_returning_nothing_answers_200_null(kernel_client: httpx.AsyncClient) -> None:
    user = (await kernel_client.post("/users/", json={"fullName": "A", "email": "a@x.io"})).json()
    url = f"/users/{user['id']}/addresses/"
    address = {"label": "H", "street": "S", "city": "C", "country": "UK", "zipCode": "N1"}
    created = (await kernel_client.post(url, json=address)).json()
    assert created["zipCode"] == "N1"
    removed = await kernel_client.delete(f"{url}{created['id']}")
    assert removed.status_code == 200
    assert removed.content == b"null"
    missing = await kernel_client.delete(f"{url}{created['id']}")
    found = detail(missing, 404, "not_found")
    assert {"entity", "id"} <= found.keys()


async def test_4xx_answers_are_loom_kernel_error_bodies(kernel_client: httpx.AsyncClient) -> None:
    created = (await kernel_client.post("/products/", json=product())).json()
    missing = detail(await kernel_client.get("/products/999"), 404, "not_found")
    assert (missing["entity"], missing["id"]) == ("Product", 999)
    detail(await kernel_client.post("/products/", json=product()), 409, "conflict")
    invalid = detail(
        await kernel_client.post("/products/", json=product(priceCents="x")),
        422,
        "boundary_validation",
    )
    assert [v["field"] for v in invalid["violations"]] == ["priceCents"]
    path = detail(await kernel_client.get("/products/abc"), 422, "rule_violations")
    assert [v["field"] for v in path["violations"]] == ["path.id"]
    assert created["id"] == 1


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("limit=many", "bad_request"),
        ("page=0", "bad_request"),
        ("direction=UP", "bad_request"),
        ("pagination=pages", "bad_request"),
        ("colour=red", "unsupported_query"),
        ("priceCents__near=1", "unsupported_query"),
        ("sort=colour", "unsupported_query"),
        ("cursor=garbage", "unsupported_query"),
        ("priceCents__gt=cheap", "query_validation"),
    ],
)
async def test_query_string_errors_carry_loom_kernel_codes(
    kernel_client: httpx.AsyncClient, query: str, code: str
) -> None:
    found = detail(await kernel_client.get(f"/products/?{query}"), 400, code)
    if code == "query_validation":
        assert found["violations"][0]["field"] == "price_cents"
    else:
        assert "violations" not in found


async def test_unrouted_requests_answer_as_fastapi_does(kernel_client: httpx.AsyncClient) -> None:
    nowhere = await kernel_client.get("/nowhere")
    assert (nowhere.status_code, nowhere.json()) == (404, {"detail": "Not Found"})
    wrong = await kernel_client.put("/products/1", json={})
    assert (wrong.status_code, wrong.json()) == (405, {"detail": "Method Not Allowed"})
    assert "PATCH" in wrong.headers["allow"]


async def test_what_loom_kernel_answered_with_a_5xx_stays_a_problem(
    kernel_client: httpx.AsyncClient,
) -> None:
    broken = await kernel_client.post(
        "/products/", content=b'{"sku": ', headers={"content-type": "application/json"}
    )
    assert_problem(broken, 400, "malformed_body")
    # loom-kernel 9 lets the driver overflow (500); Loom refuses the value like any other.
    huge = await kernel_client.post("/products/", json=product(priceCents=10**20))
    invalid = detail(huge, 422, "boundary_validation")
    assert [v["field"] for v in invalid["violations"]] == ["priceCents"]
    text = await kernel_client.post(
        "/products/", content=b"sku=A", headers={"content-type": "text/plain"}
    )
    assert_problem(text, 415, "unsupported_media_type")


async def test_a_body_without_content_type_is_read_as_json(
    kernel_client: httpx.AsyncClient,
) -> None:
    response = await kernel_client.post(
        "/users/", content=b'{"fullName": "Ada", "email": "ada@example.com"}'
    )
    assert response.status_code == 201, response.text
    assert response.json()["fullName"] == "Ada"


async def test_openapi_documents_the_loom_kernel_answers(
    kernel_client: httpx.AsyncClient,
) -> None:
    document = (await kernel_client.get("/openapi.json")).json()
    delete = document["paths"]["/products/{id}"]["delete"]["responses"]
    assert delete["200"]["content"]["application/json"]["schema"] == {"type": "boolean"}
    not_found = delete["404"]["content"]["application/json"]["schema"]
    assert not_found["$ref"].endswith("/KernelErrorBody")
    schemas = document["components"]["schemas"]
    assert set(schemas["KernelError"]["properties"]) >= {"code", "message", "trace_id"}
    create = document["paths"]["/products"]["post"]["responses"]
    assert "application/problem+json" in create["415"]["content"]
    assert "priceCents" in schemas["Product"]["properties"]


async def test_the_default_format_is_unchanged(serve: AppFactory) -> None:
    async with serve() as (_, client):
        body = product()
        body["price_cents"] = body.pop("priceCents")
        created = (await client.post("/products", json=body)).json()
        assert "price_cents" in created
        page = (await client.get("/products?pagination=offset")).json()
        assert page["total_count"] is None
        assert (await client.delete(f"/products/{created['id']}")).status_code == 204
        assert_problem(await client.get("/products/999"), 404, "not_found")
