"""loom-kernel's markers and computes: Load, LoadById(on_missing=), Query, Compute, Created."""

# Markers are immutable records read at boot, like FastAPI's Depends(); B008 does not know them.

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from loom.core.command import Command, Patch
from loom.core.errors import ConfigError, FieldError, NotFoundError, ValidationError
from loom.core.use_case import (
    Compute,
    Created,
    F,
    Input,
    Load,
    LoadById,
    OnMissing,
    Query,
    Rule,
    UseCase,
    compile_use_case,
)
from tests.unit.core.use_case.fakes import DictRepository, Repositories
from tests.unit.core.use_case.models import Product, User, a_product, a_user


def _repos() -> Repositories:
    return Repositories(
        DictRepository(Product, [a_product(42, stock=0), a_product(7, stock=3)]),
        DictRepository(User, [a_user(1)]),
    )


async def _run(use_case: type[Any], params: dict[str, Any], payload: Any = None) -> Any:
    return await compile_use_case(use_case).run(use_case(), params, payload, repos=_repos())


class ByEmail(Command, frozen=True):
    email: str | None = None


async def test_load_finds_an_entity_by_another_column() -> None:
    class BySku(UseCase[Product, str]):
        async def execute(
            self, sku: str, product: Product = Load(Product, from_param="sku", against="sku")
        ) -> str:
            return product.name

    assert await _run(BySku, {"sku": "SKU-7"}) == "Lamp"
    with pytest.raises(NotFoundError, match=r"^Product with sku='SKU-9' not found$") as caught:
        await _run(BySku, {"sku": "SKU-9"})
    assert (caught.value.entity, caught.value.id) == ("Product", "SKU-9")


async def test_load_from_a_command_field_is_a_422_naming_it_or_none_on_request() -> None:
    class Strict(UseCase[User, str]):
        async def execute(
            self,
            cmd: ByEmail = Input(),
            user: User = Load(User, from_command="email", against="email"),
        ) -> str:
            return user.full_name

    class Lenient(UseCase[User, Any]):
        async def execute(
            self,
            cmd: ByEmail = Input(),
            user: User | None = Load(
                User, from_command="email", against="email", on_missing=OnMissing.RETURN_NONE
            ),
        ) -> Any:
            return user

    assert await _run(Strict, {}, {"email": "ada1@example.com"}) == "Ada"
    with pytest.raises(ValidationError) as caught:
        await _run(Strict, {}, {"email": "bob@example.com"})
    assert [e.field for e in caught.value.errors] == ["email"]
    assert await _run(Lenient, {}, {"email": "bob@example.com"}) is None


async def test_load_by_id_may_give_none_and_defaults_by_to_id() -> None:
    class Maybe(UseCase[Product, Any]):
        async def execute(
            self,
            id: int,
            product: Product | None = LoadById(Product, on_missing=OnMissing.RETURN_NONE),
        ) -> Any:
            return product

    assert await _run(Maybe, {"id": 5}) is None
    assert (await _run(Maybe, {"id": 42})).id == 42


def test_on_missing_must_fit_the_marker() -> None:
    class Wrong(UseCase[Product, Any]):
        async def execute(
            self,
            product_id: int,
            product: Product = LoadById(
                Product, by="product_id", on_missing=OnMissing.RETURN_FALSE
            ),
        ) -> Any:
            return product

    with pytest.raises(ConfigError, match=r"on_missing=return_false does not apply here"):
        compile_use_case(Wrong)


class StockQuery(msgspec.Struct, frozen=True):
    below: int = 5
    category: str | None = None


async def test_query_receives_a_typed_struct_from_a_mapping_or_an_instance() -> None:
    class Low(UseCase[Product, StockQuery]):
        async def execute(self, query: StockQuery = Query()) -> StockQuery:
            return query

    assert await _run(Low, {"query": {"below": "3"}}) == StockQuery(below=3)
    assert await _run(Low, {"query": StockQuery(category="home")}) == StockQuery(category="home")
    with pytest.raises(ValidationError) as caught:
        await _run(Low, {})
    assert caught.value.errors == (FieldError("query", "required parameter is missing"),)


class Pricing(Command, frozen=True):
    name: str
    unit_price: float
    quantity: int
    slug: Patch[str] = None
    subtotal: float = 0.0


async def test_computes_derive_fields_in_order_before_the_rules() -> None:
    class Price(UseCase[Product, Pricing]):
        computes = (
            Compute.set(F(Pricing).slug).from_command(
                F(Pricing).name, via=lambda name: name.strip().lower()
            ),
            Compute.set(F(Pricing).subtotal).from_command(
                F(Pricing).unit_price, F(Pricing).quantity, via=lambda p, q: p * q
            ),
            Compute.set(F(Pricing).subtotal)
            .from_command(F(Pricing).subtotal, via=lambda total, cap: min(total, cap))
            .from_params("cap"),
        )
        rules = (Rule.check(F(Pricing).subtotal, via=lambda v: "too cheap" if v < 1 else None),)

        async def execute(self, cap: float, cmd: Pricing = Input()) -> Pricing:
            return cmd

    result = await _run(Price, {"cap": 50}, {"name": " Lamp ", "unit_price": 20, "quantity": 3})

    assert (result.slug, result.subtotal) == ("lamp", 50.0)
    assert "slug" in result.fields_set  # a derived field is written by repositories
    with pytest.raises(Exception, match="too cheap"):
        await _run(Price, {"cap": 50}, {"name": "x", "unit_price": 0.1, "quantity": 1})


async def test_a_compute_function_receives_the_command_and_its_sent_fields() -> None:
    def stamp(cmd: Pricing, fields_set: frozenset[str]) -> Pricing:
        return msgspec.structs.replace(cmd, slug=",".join(sorted(fields_set)))

    class Stamp(UseCase[Product, Pricing]):
        computes = (stamp,)

        async def execute(self, cmd: Pricing = Input()) -> Pricing:
            return cmd

    result = await _run(Stamp, {}, {"name": "a", "unit_price": 1, "quantity": 1})
    assert result.slug == "name,quantity,subtotal,unit_price"


def test_a_compute_over_several_fields_needs_via() -> None:
    with pytest.raises(ConfigError, match=r"several fields need via"):
        Compute.set(F(Pricing).subtotal).from_command(F(Pricing).unit_price, F(Pricing).quantity)


def test_created_checks_its_location_and_drops_out_of_the_result_type() -> None:
    class Ensure(UseCase[Product, Product | Created[Product]]):
        async def execute(self) -> Product | Created[Product]:
            raise NotImplementedError

    assert Ensure.result_type == Product
    assert Created(1, location="/items/1?x=%20").location == "/items/1?x=%20"
    with pytest.raises(ValueError, match="not a URI reference"):
        Created(1, location="/items/a b")
