"""List routes: the query string as a client writes it, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.integration.rest.conftest import assert_problem, fields_of, product

pytestmark = pytest.mark.integration

CATALOGUE = [
    ("A", "lamps", 1500, 3),
    ("B", "lamps", 900, 0),
    ("C", "chairs", 4200, 12),
    ("D", "chairs", 900, 5),
    ("E", "tables", 12000, 1),
]


@pytest.fixture
async def store(client: httpx.AsyncClient) -> httpx.AsyncClient:
    for sku, category, price, stock in CATALOGUE:
        body = product(sku, category=category, price_cents=price, stock=stock, name=f"N{sku}")
        assert (await client.post("/products", json=body)).status_code == 201
    return client


async def skus(client: httpx.AsyncClient, query: str) -> list[str]:
    response = await client.get(f"/products?{query}")
    assert response.status_code == 200, response.text
    return [item["sku"] for item in response.json()["items"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("category=lamps&sort=sku", ["A", "B"]),
        ("price_cents__gte=1500&sort=sku", ["A", "C", "E"]),
        ("price_cents__lt=1000&sort=sku", ["B", "D"]),
        ("category__ne=chairs&sort=sku", ["A", "B", "E"]),
        ("category__in=lamps,tables&sort=sku", ["A", "B", "E"]),
        ("category__not_in=lamps,tables&sort=sku", ["C", "D"]),
        ("stock__between=1,5&sort=sku", ["A", "D", "E"]),
        ("name__startswith=N&sku__like=%25&sort=-sku", ["E", "D", "C", "B", "A"]),
        ("category__contains=hair&sort=sku", ["C", "D"]),
        ("category__ilike=LAMP%25&sort=sku", ["A", "B"]),
        ("sku__is_null=false&stock=0", ["B"]),
        ("sku__is_null=true", []),
        ("sort=-price_cents,sku", ["E", "C", "A", "B", "D"]),
        ("sort=price_cents,-sku", ["D", "B", "A", "C", "E"]),
        ("sort=-price_cents&sort=sku", ["E", "C", "A", "B", "D"]),
        ("sort=price_cents&direction=DESC", ["E", "C", "A", "B", "D"]),
        ("sort=price_cents,sku&direction=desc", ["E", "C", "A", "D", "B"]),
        ("sort=price_cents,-sku&direction=ASC", ["D", "B", "A", "C", "E"]),
    ],
)
async def test_filters_and_sorts(store: httpx.AsyncClient, query: str, expected: list[str]) -> None:
    assert await skus(store, query) == expected


async def test_cursor_pages_walk_every_row_once(store: httpx.AsyncClient) -> None:
    seen: list[str] = []
    url = "/products?sort=-price_cents&limit=2"
    cursor: str | None = None
    while True:
        response = await store.get(url + (f"&cursor={cursor}" if cursor else ""))
        assert response.status_code == 200
        page: dict[str, Any] = response.json()
        assert set(page) == {"items", "next_cursor", "has_next"}  # the interface is CURSOR
        seen.extend(item["sku"] for item in page["items"])
        cursor = page["next_cursor"]
        if not page["has_next"]:
            break
    assert seen == ["E", "C", "A", "B", "D"]


async def test_loom_kernel_after_walks_the_pages_like_cursor(store: httpx.AsyncClient) -> None:
    seen: list[str] = []
    url = "/products?sort=price_cents&direction=DESC&limit=2"
    after: str | None = None
    while True:
        response = await store.get(url + (f"&after={after}" if after else ""))
        assert response.status_code == 200, response.text
        page: dict[str, Any] = response.json()
        seen.extend(item["sku"] for item in page["items"])
        after = page["next_cursor"]
        if not page["has_next"]:
            break
    assert seen == ["E", "C", "A", "B", "D"]
    bad = await store.get("/products?direction=UP")
    assert fields_of(assert_problem(bad, 400, "invalid_query")) == ["direction"]


async def test_offset_pages_with_a_total(store: httpx.AsyncClient) -> None:
    response = await store.get("/products?pagination=offset&page=2&limit=2&sort=sku&total=true")
    assert response.status_code == 200
    page = response.json()
    assert [p["sku"] for p in page["items"]] == ["C", "D"]
    assert page["total_count"] == 5
    assert page["page"] == 2
    assert page["has_next"] is True
    implicit = (await store.get("/products?page=3&limit=2&sort=sku")).json()
    assert [p["sku"] for p in implicit["items"]] == ["E"]
    assert implicit["total_count"] is None


async def test_the_default_limit_applies(serve: Any) -> None:
    async with serve(**{"rest.default_limit": 2}) as (_, client):
        for sku in "ABC":
            await client.post("/products", json=product(sku))
        page = (await client.get("/products")).json()
        assert len(page["items"]) == 2
        assert page["has_next"] is True


async def test_a_cursor_from_another_query_is_400(store: httpx.AsyncClient) -> None:
    first = (await store.get("/products?sort=sku&limit=2")).json()
    cursor = first["next_cursor"]
    response = await store.get(f"/products?sort=-sku&limit=2&cursor={cursor}")
    assert_problem(response, 400, "invalid_cursor")
    garbage = await store.get("/products?cursor=not-a-cursor")
    assert_problem(garbage, 400, "invalid_cursor")


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("colour=red", "colour"),
        ("prise__gte=3", "prise__gte"),
        ("price_cents__near=3", "price_cents__near"),
        ("price_cents=cheap", "price_cents"),
        ("price_cents__between=1", "price_cents__between"),
        ("price_cents__in=1,x", "price_cents__in"),
        ("stock__is_null=maybe", "stock__is_null"),
        ("price_cents__like=1", "price_cents__like"),
        ("sort=colour", "sort"),
        ("limit=0", "limit"),
        ("limit=-3", "limit"),
        ("limit=ten", "limit"),
        ("limit=1001", "limit"),
        ("page=0", "page"),
        ("page=2&cursor=abc", "cursor"),
        ("pagination=sideways", "pagination"),
        ("total=perhaps&pagination=offset", "total"),
        ("total=true", "total"),
        ("limit=1&limit=2", "limit"),
        ("created_at__gt=yesterday", "created_at__gt"),
    ],
)
async def test_a_bad_query_string_is_400_naming_the_parameter(
    store: httpx.AsyncClient, query: str, parameter: str
) -> None:
    problem = assert_problem(await store.get(f"/products?{query}"), 400, "invalid_query")
    assert fields_of(problem) == [parameter]


async def test_every_problem_of_a_query_string_is_named(store: httpx.AsyncClient) -> None:
    problem = assert_problem(
        await store.get("/products?colour=red&limit=0&sort=nope"), 400, "invalid_query"
    )
    assert sorted(fields_of(problem)) == ["colour", "limit", "sort"]
    assert "field=value or field__op=value on id, sku" in problem["detail"]


async def test_routes_without_a_query_refuse_unknown_parameters(
    store: httpx.AsyncClient,
) -> None:
    problem = assert_problem(await store.get("/products/low-stock?stock=1"), 400, "invalid_query")
    assert fields_of(problem) == ["stock"]
    assert "accepted: profile" in problem["detail"]
    assert (await store.get("/products/low-stock?profile=default")).status_code == 200
    assert (await store.get("/products/1?profile=default")).status_code == 200


async def test_nested_lists_read_filters_and_keep_their_scope(client: httpx.AsyncClient) -> None:
    ada = (await client.post("/users", json={"full_name": "Ada", "email": "ada@x.org"})).json()
    for label in ("home", "work"):
        body = {"label": label, "street": "s", "city": "c", "country": "FR", "zip_code": "1"}
        await client.post(f"/users/{ada['id']}/addresses", json=body)
    listed = await client.get(f"/users/{ada['id']}/addresses?label=work")
    assert [a["label"] for a in listed.json()["items"]] == ["work"]
    sorted_desc = await client.get(f"/users/{ada['id']}/addresses?sort=-label&total=true")
    page = sorted_desc.json()
    assert [a["label"] for a in page["items"]] == ["work", "home"]
    assert page["total_count"] == 2
