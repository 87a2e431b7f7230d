"""Rules written in loom-kernel's convention: ``(cmd, fields_set, *params)`` and its helpers."""

# Markers are immutable records read at boot, like FastAPI's Depends(); B008 does not know them.

from __future__ import annotations

from typing import Any

import pytest

from loom.core.command import Command, Patch
from loom.core.errors import (
    ConfigError,
    FieldError,
    NotFoundError,
    RuleViolation,
    RuleViolationError,
)
from loom.core.use_case import Exists, F, Input, LoadById, Rule, compile_use_case
from loom.core.use_case.use_case import UseCase
from tests.unit.core.use_case.fakes import DictRepository, Repositories
from tests.unit.core.use_case.models import Product, UpdateProduct, User, a_product, a_user


class Rename(Command, frozen=True):
    name: str | None = None
    nickname: Patch[str] = None
    note: Patch[str] = None


def _repos() -> Repositories:
    return Repositories(
        DictRepository(Product, [a_product(42, stock=0), a_product(7, stock=3)]),
        DictRepository(User, [a_user(1)]),
    )


async def _refusals(use_case: type[Any], params: dict[str, Any], payload: Any) -> list[FieldError]:
    with pytest.raises(RuleViolationError) as caught:
        await compile_use_case(use_case).run(use_case(), params, payload, repos=_repos())
    return list(caught.value.errors)


async def test_forbid_receives_the_command_and_the_fields_that_were_sent() -> None:
    seen: list[tuple[Any, frozenset[str]]] = []

    def cleared(cmd: UpdateProduct, fields_set: frozenset[str]) -> bool:
        seen.append((cmd.stock, fields_set))
        return "stock" in fields_set and cmd.stock is None

    class Clear(UseCase[Product, None]):
        rules = (Rule.forbid(cleared, message="stock cannot be cleared"),)

        async def execute(self, cmd: UpdateProduct = Input()) -> None:
            return None

    assert await _refusals(Clear, {}, {"stock": None}) == [
        FieldError("UpdateProduct", "stock cannot be cleared")
    ]
    await compile_use_case(Clear).run(Clear(), {}, {"name": "x"}, repos=_repos())
    assert seen == [(None, frozenset({"stock"})), (None, frozenset({"name"}))]


async def test_from_params_reads_what_load_by_id_and_exists_produced() -> None:
    class Restock(UseCase[Product, str]):
        rules = (
            Rule.forbid(
                lambda cmd, fields_set, product, user_known: product.stock > 0 and user_known,
                message="the product is still in stock",
            ).from_params("product", "user_known"),
        )

        async def execute(
            self,
            product_id: int,
            user_id: int,
            cmd: UpdateProduct = Input(),
            product: Product = LoadById(Product, by="product_id"),
            user_known: bool = Exists(User, from_param="user_id"),
        ) -> str:
            return product.sku

    plan = compile_use_case(Restock)

    assert await plan.run(Restock(), {"product_id": 42, "user_id": 1}, {}, repos=_repos()) == (
        "SKU-42"
    )
    assert await _refusals(Restock, {"product_id": 7, "user_id": 1}, {}) == [
        FieldError("product", "the product is still in stock")
    ]
    # A missing entity answers before the rule, as loom-kernel orders them.
    with pytest.raises(NotFoundError):
        await plan.run(Restock(), {"product_id": 5, "user_id": 1}, {}, repos=_repos())


async def test_loom_s_keyword_convention_can_read_marker_values_too() -> None:
    class Restock(UseCase[Product, None]):
        rules = (
            Rule.forbid(lambda product: product.stock > 0, message="still in stock").from_params(
                "product"
            ),
        )

        async def execute(
            self,
            product_id: int,
            cmd: UpdateProduct = Input(),
            product: Product = LoadById(Product, by="product_id"),
        ) -> None:
            return None

    assert await _refusals(Restock, {"product_id": 7}, {}) == [
        FieldError("product", "still in stock")
    ]


async def test_from_command_passes_field_values_then_params() -> None:
    class Limit(UseCase[Product, None]):
        rules = (
            Rule.forbid(lambda stock, cap: stock is not None and stock > cap, message="too many")
            .from_command(F(UpdateProduct).stock)
            .from_params("cap"),
        )

        async def execute(self, cap: int, cmd: UpdateProduct = Input()) -> None:
            return None

    assert await _refusals(Limit, {"cap": 5}, {"stock": 6}) == [FieldError("stock", "too many")]


async def test_a_check_may_take_several_fields_and_return_a_rule_violation() -> None:
    def ordered(name: str | None, nickname: str | None) -> RuleViolation | None:
        if name is not None and nickname is not None and nickname > name:
            return RuleViolation("nickname", "must sort before the name")
        return None

    class Names(UseCase[Product, None]):
        rules = (Rule.check(F(Rename).name, F(Rename).nickname, via=ordered),)

        async def execute(self, cmd: Rename = Input()) -> None:
            return None

    assert await _refusals(Names, {}, {"name": "ada", "nickname": "zed"}) == [
        FieldError("nickname", "must sort before the name")
    ]


async def test_a_check_returning_a_bool_is_a_bug_it_names() -> None:
    class Bool(UseCase[Product, None]):
        rules = (Rule.check(F(Rename).name, F(Rename).note, via=lambda a, b: a == b),)

        async def execute(self, cmd: Rename = Input()) -> None:
            return None

    with pytest.raises(TypeError, match=r"returned bool True; a check returns the violation"):
        await compile_use_case(Bool).run(Bool(), {}, {"name": "a", "note": "a"}, repos=_repos())


async def test_require_present_refuses_an_unsent_patch_field_and_a_null_plain_field() -> None:
    class Required(UseCase[Product, None]):
        rules = (
            Rule.require_present(F(Rename).nickname),
            Rule.require_present(F(Rename).name, field="title", message="give a title"),
        )

        async def execute(self, cmd: Rename = Input()) -> None:
            return None

    assert await _refusals(Required, {}, {}) == [
        FieldError("nickname", "nickname is required"),
        FieldError("title", "give a title"),
    ]
    # A Patch field sent as null is present; a plain field is present when not None.
    await compile_use_case(Required).run(
        Required(), {}, {"nickname": None, "name": "x"}, repos=_repos()
    )


async def test_when_present_takes_or_and_and_of_fields() -> None:
    class Either(UseCase[Product, None]):
        rules = (
            Rule.forbid(
                lambda cmd, fields_set: True, message="nickname or note given"
            ).when_present(F(Rename).nickname | F(Rename).note),
            Rule.forbid(lambda cmd, fields_set: True, message="both given").when_present(
                F(Rename).nickname & F(Rename).note
            ),
        )

        async def execute(self, cmd: Rename = Input()) -> None:
            return None

    plan = compile_use_case(Either)
    assert await plan.run(Either(), {}, {"name": "x"}, repos=_repos()) is None
    # A rule without inputs names its command class, as loom-kernel does.
    assert await _refusals(Either, {}, {"note": None}) == [
        FieldError("Rename", "nickname or note given")
    ]
    assert len(await _refusals(Either, {}, {"note": "a", "nickname": "b"})) == 2


async def test_plain_rule_functions_raise_rule_violations_and_may_read_the_context() -> None:
    def no_blank_name(cmd: Rename, fields_set: frozenset[str]) -> None:
        if cmd.name == "":
            raise RuleViolation("name", "must not be blank")

    def not_for_user_one(
        cmd: Rename, fields_set: frozenset[str], context: dict[str, Any] | None = None
    ) -> None:
        assert context is not None
        if context["user_id"] == 1 and context["known"]:
            raise RuleViolation("user_id", "user 1 may not rename")

    class Functions(UseCase[Product, None]):
        rules = (no_blank_name, not_for_user_one)

        async def execute(
            self,
            user_id: int,
            cmd: Rename = Input(),
            known: bool = Exists(User, from_param="user_id"),
        ) -> None:
            return None

    assert await _refusals(Functions, {"user_id": 1}, {"name": ""}) == [
        FieldError("name", "must not be blank"),
        FieldError("user_id", "user 1 may not rename"),
    ]


async def test_loom_convention_rules_still_run_before_any_repository_call() -> None:
    class Early(UseCase[Product, None]):
        rules = (Rule.forbid(lambda cmd: cmd.stock == 0, message="no zero"),)

        async def execute(
            self,
            product_id: int,
            cmd: UpdateProduct = Input(),
            product: Product = LoadById(Product, by="product_id"),
        ) -> None:
            return None

    repos = _repos()
    with pytest.raises(RuleViolationError):
        await compile_use_case(Early).run(Early(), {"product_id": 5}, {"stock": 0}, repos=repos)
    assert repos.calls() == []


def test_a_predicate_that_fits_neither_convention_fails_at_compile_time() -> None:
    class Wrong(UseCase[Product, None]):
        rules = (Rule.forbid(lambda a, b, c: True, message="x"),)

        async def execute(self, cmd: UpdateProduct = Input()) -> None:
            return None

    with pytest.raises(ConfigError, match=r"neither as \(cmd\) nor as loom-kernel's"):
        compile_use_case(Wrong)


def test_from_params_may_not_name_something_execute_lacks() -> None:
    class Unknown(UseCase[Product, None]):
        rules = (
            Rule.forbid(lambda cmd, fields_set, owner: True, message="x").from_params("owner"),
        )

        async def execute(self, cmd: UpdateProduct = Input()) -> None:
            return None

    with pytest.raises(ConfigError, match=r"'owner' is neither a parameter of execute"):
        compile_use_case(Unknown)


def test_nested_field_references_walk_the_path() -> None:
    class Inner(Command, frozen=True):
        city: str | None = None

    class Outer(Command, frozen=True):
        address: Inner | None = None

    ref = F(Outer).address.city

    assert (ref.path, ref.leaf, ref.root) == (("address", "city"), "city", Outer)
    assert ref.value(Outer(address=Inner(city="Oslo"))) == "Oslo"
    assert ref.value(Outer()) is None
