"""loom-kernel's route options: ``auto``/``include``, profile exposure and fixed pagination."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import msgspec
import pytest
from fastapi import Depends, Header

from app.product.model import Product
from loom.core.bootstrap import Components, Kernel
from loom.core.config import load_config
from loom.core.errors import ConfigError, RateLimitedError
from loom.core.query import CursorResult, PageResult, PaginationMode, QuerySpec
from loom.core.use_case import F, Query
from loom.core.use_case.use_case import UseCase
from loom.rest.fastapi import create_app_from_kernel
from loom.rest.model import ALL, RestInterface, RestRoute
from tests.conftest import Database
from tests.integration.rest.conftest import STORE, assert_problem, database_overrides, product

pytestmark = pytest.mark.integration


class ListWithProfile(UseCase[Product, PageResult[Product] | CursorResult[Product]]):
    """Lists products and says which profile it ran under (in the category of each item)."""

    read_only = True

    async def execute(
        self, query: QuerySpec, profile: str = "default"
    ) -> PageResult[Product] | CursorResult[Product]:
        page = await self.main_repo.list_with_query(query)
        items = [msgspec.structs.replace(item, category=profile) for item in page.items]
        return msgspec.structs.replace(page, items=items)


class AutoProducts(RestInterface[Product]):
    """loom-kernel's ``auto = True``: the CRUD routes without writing them."""

    prefix = "/auto"
    auto = True
    include = ("get", "list")


class ProfiledProducts(RestInterface[Product]):
    """Profiles exposed, limited to two, with a default of the interface's own."""

    prefix = "/profiled"
    expose_profile = True
    allowed_profiles = ("summary", "full")
    profile_default = "summary"
    routes = (
        RestRoute(use_case=ListWithProfile, method="GET", path="/"),
        RestRoute(use_case=ListWithProfile, method="GET", path="/hidden", expose_profile=False),
    )


class DeclaredProducts(RestInterface[Product]):
    """Filterable fields by reference, every column sortable."""

    prefix = "/declared"
    filterable = (F(Product).category,)
    sortable = ALL
    routes = (RestRoute(use_case=ListWithProfile, method="GET", path="/"),)


class Throttled(UseCase[Product, Product]):
    """Always over budget."""

    read_only = True

    async def execute(self) -> Product:
        raise RateLimitedError(30)


async def require_token(x_token: str = Header()) -> None:
    """A dependency FastAPI validates (the header is required)."""


class LimitedProducts(RestInterface[Product]):
    """A throttled route behind a token header."""

    prefix = "/limited"
    dependencies = (Depends(require_token),)
    routes = (RestRoute(use_case=Throttled, method="GET", path="/"),)


class StockQuery(msgspec.Struct, frozen=True, kw_only=True):
    """loom-kernel's typed query: the fields are query parameters."""

    max_stock: int
    category: str | None = None


class EchoStockQuery(UseCase[Product, StockQuery]):
    """Answers the query it received."""

    read_only = True

    async def execute(self, query: StockQuery = Query()) -> StockQuery:
        return query


class TypedProducts(RestInterface[Product]):
    """A route with a Query() parameter."""

    prefix = "/typed"
    routes = (RestRoute(use_case=EchoStockQuery, method="GET", path="/"),)


class FixedProducts(RestInterface[Product]):
    """Cursor pages only."""

    prefix = "/fixed"
    pagination_mode = PaginationMode.CURSOR
    allow_pagination_override = False
    routes = (RestRoute(use_case=ListWithProfile, method="GET", path="/"),)


@asynccontextmanager
async def options_app(db: Database, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    config = load_config(STORE / "api.yaml", overrides={**database_overrides(db), **overrides})
    components = Components(
        models=[Product],
        use_cases=[ListWithProfile, Throttled, EchoStockQuery],
        interfaces=[
            AutoProducts,
            ProfiledProducts,
            DeclaredProducts,
            LimitedProducts,
            TypedProducts,
            FixedProducts,
        ],
    )
    app = create_app_from_kernel(Kernel(config, components))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://options") as client:
            kernel: Kernel = app.state.loom.kernel
            await kernel.for_model(Product).create(product())
            yield client


async def test_auto_builds_the_included_crud_routes(db: Database) -> None:
    async with options_app(db) as client:
        assert (await client.get("/auto")).status_code == 200
        assert (await client.get("/auto/1")).json()["sku"] == "L1"
        assert (await client.post("/auto", json=product("L2"))).status_code == 405


async def test_profiles_are_exposed_limited_and_defaulted(db: Database) -> None:
    async with options_app(db) as client:
        default = await client.get("/profiled")
        assert [p["category"] for p in default.json()["items"]] == ["summary"]
        full = await client.get("/profiled?profile=full")
        assert [p["category"] for p in full.json()["items"]] == ["full"]
        other = assert_problem(await client.get("/profiled?profile=all"), 400, "invalid_query")
        assert other["errors"][0]["field"] == "profile"
        refused = assert_problem(
            await client.get("/profiled/hidden?profile=full"), 400, "invalid_query"
        )
        assert refused["errors"][0]["field"] == "profile"
        # Loom's default: a profile parameter is accepted where nothing says otherwise.
        assert (await client.get("/auto?profile=default")).status_code == 200


async def test_loom_kernel_format_refuses_profiles_nothing_exposes(db: Database) -> None:
    async with options_app(db, **{"rest.compat": "loom_kernel"}) as client:
        refused = await client.get("/auto?profile=default")
        assert refused.status_code == 400
        assert refused.json()["detail"]["code"] == "bad_request"
        exposed = await client.get("/profiled?profile=full")
        assert [p["category"] for p in exposed.json()["items"]] == ["full"]


@pytest.mark.parametrize(
    ("query", "field"),
    [("pagination=offset", "pagination"), ("page=2", "page"), ("pagination=cursor&page=1", "page")],
)
async def test_a_fixed_pagination_refuses_the_other(db: Database, query: str, field: str) -> None:
    async with options_app(db) as client:
        assert set((await client.get("/fixed?pagination=cursor")).json()) == {
            "items",
            "next_cursor",
            "has_next",
        }
        problem = assert_problem(await client.get(f"/fixed?{query}"), 400, "invalid_query")
        assert [error["field"] for error in problem["errors"]] == [field]


async def test_fields_by_reference_and_all(db: Database) -> None:
    async with options_app(db) as client:
        found = await client.get("/declared?category=home&sort=-price_cents,stock")
        assert found.status_code == 200, found.text
        assert [p["sku"] for p in found.json()["items"]] == ["L1"]
        refused = assert_problem(await client.get("/declared?sku=L1"), 400, "invalid_query")
        assert refused["errors"][0]["field"] == "sku"


def test_role_requirements_are_refused_rather_than_ignored() -> None:
    with pytest.raises(ConfigError, match="requires_roles is not supported"):
        RestRoute(use_case=ListWithProfile, requires_roles=("admin",))
    with pytest.raises(ConfigError, match="Guarded: requires_roles"):

        class Guarded(RestInterface[Product]):
            requires_roles = ("admin",)


async def test_loom_kernel_format_of_errors_raised_around_the_use_case(db: Database) -> None:
    async with options_app(db, **{"rest.compat": "loom_kernel"}) as client:
        throttled = await client.get("/limited", headers={"x-token": "t"})
        assert throttled.status_code == 429
        assert throttled.headers["retry-after"] == "30"
        assert throttled.json()["detail"]["code"] == "rate_limited"
        unfit = await client.get("/limited")
        assert unfit.status_code == 422
        assert unfit.json()["detail"]["code"] == "rule_violations"
        assert [v["field"] for v in unfit.json()["detail"]["violations"]] == ["header.x-token"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("category=x", "max_stock"),
        ("max_stock=many", "max_stock"),
        ("max_stock=1&max_stock=2", "max_stock"),
        ("max_stock=1&colour=red", "colour"),
    ],
)
async def test_a_typed_query_reads_its_fields_from_the_query_string(
    db: Database, query: str, field: str
) -> None:
    async with options_app(db) as client:
        found = await client.get("/typed?max_stock=5&category=tools")
        assert found.json() == {"max_stock": 5, "category": "tools"}
        assert (await client.get("/typed?max_stock=5")).json() == {"max_stock": 5, "category": None}
        problem = assert_problem(await client.get(f"/typed?{query}"), 400, "invalid_query")
        assert [error["field"] for error in problem["errors"]] == [field]
        document = (await client.get("/openapi.json")).json()
        parameters = document["paths"]["/typed"]["get"]["parameters"]
        assert [(p["name"], p["required"]) for p in parameters] == [
            ("max_stock", True),
            ("category", False),
        ]


async def test_a_typed_query_in_loom_kernels_format(db: Database) -> None:
    async with options_app(db, **{"rest.compat": "loom_kernel"}) as client:
        found = await client.get("/typed?maxStock=5")
        assert found.json() == {"max_stock": 5, "category": None}
        bad = await client.get("/typed?max_stock=many")
        assert bad.json()["detail"]["code"] == "query_validation"
        unknown = await client.get("/typed?max_stock=1&colour=red")
        assert unknown.json()["detail"]["code"] == "unsupported_query"
