"""Business rules: declared once, evaluated together, one error listing every violation."""

# Markers are immutable records read at boot, like FastAPI's Depends(); B008 does not know them.

from __future__ import annotations

import pytest

from loom.core.errors import ConfigError, FieldError, RuleViolationError
from loom.core.use_case import F, Input, Rule, compile_use_case
from loom.core.use_case.use_case import UseCase
from tests.unit.core.use_case.fakes import DictRepository, Repositories
from tests.unit.core.use_case.models import Product, UpdateProduct, a_product


def _positive(value: int | None) -> str | None:
    return "must be positive" if value is not None and value <= 0 else None


class UpdateProductUseCase(UseCase[Product, dict[str, object]]):
    rules = (
        Rule.check(F(UpdateProduct).price_cents, via=_positive),
        Rule.check("stock", via=lambda v: "must not be negative" if v < 0 else None),
        Rule.forbid(
            lambda name, profile: name == "" and profile != "admin",
            message="only admins may clear the name",
        ).from_params("name", "profile"),
        Rule.forbid(lambda stock: stock > 1000, message="stock over 1000 needs a price change")
        .from_params("stock")
        .when_present(F(UpdateProduct).name),
    )

    async def execute(
        self, product_id: int, cmd: UpdateProduct = Input(), profile: str = "default"
    ) -> dict[str, object]:
        return cmd.to_patch()


def _repos() -> Repositories:
    return Repositories(DictRepository(Product, [a_product(42)]))


async def _run(payload: bytes, profile: str = "default") -> object:
    plan = compile_use_case(UpdateProductUseCase)
    params = {"product_id": 42, "profile": profile}
    return await plan.run(UpdateProductUseCase(), params, payload, repos=_repos())


async def test_a_request_that_keeps_every_rule_reaches_execute() -> None:
    assert await _run(b'{"price_cents": 5, "stock": 3}') == {"price_cents": 5, "stock": 3}


async def test_every_violation_is_reported_in_one_error() -> None:
    with pytest.raises(RuleViolationError) as caught:
        await _run(b'{"price_cents": 0, "stock": -1, "name": ""}')

    assert caught.value.status == 422
    assert caught.value.errors == (
        FieldError("price_cents", "must be positive"),
        FieldError("stock", "must not be negative"),
        FieldError("name", "only admins may clear the name"),
    )


async def test_rules_run_before_any_repository_call() -> None:
    repos = _repos()
    plan = compile_use_case(UpdateProductUseCase)

    with pytest.raises(RuleViolationError):
        await plan.run(UpdateProductUseCase(), {"product_id": 42}, b'{"stock": -1}', repos=repos)

    assert repos.calls() == []


async def test_a_rule_reads_execute_parameters_by_name() -> None:
    assert await _run(b'{"name": ""}', profile="admin") == {"name": ""}


async def test_rules_skip_patch_fields_that_were_not_sent() -> None:
    assert await _run(b"{}") == {}


async def test_when_present_applies_a_rule_only_when_the_field_was_sent() -> None:
    assert await _run(b'{"stock": 5000}') == {"stock": 5000}

    with pytest.raises(RuleViolationError) as caught:
        await _run(b'{"stock": 5000, "name": "Lamp"}')

    assert caught.value.errors == (FieldError("stock", "stock over 1000 needs a price change"),)


async def test_forbid_without_from_params_receives_the_command() -> None:
    class NoFreeProducts(UseCase[Product, None]):
        rules = (
            Rule.forbid(lambda cmd: cmd.price_cents == 0, message="a price of 0 is not allowed"),
        )

        async def execute(self, cmd: UpdateProduct = Input()) -> None:
            return None

    plan = compile_use_case(NoFreeProducts)

    with pytest.raises(RuleViolationError) as caught:
        await plan.run(NoFreeProducts(), payload={"price_cents": 0}, repos=_repos())

    assert caught.value.errors == (FieldError("body", "a price of 0 is not allowed"),)


async def test_forbid_can_name_the_field_it_reports() -> None:
    class NameAndStock(UseCase[Product, None]):
        rules = (
            Rule.forbid(
                lambda name, stock: name is None and stock is None,
                message="clear name or stock, not both",
                field=F(UpdateProduct).stock,
            ).from_params("name", "stock"),
        )

        async def execute(self, cmd: UpdateProduct = Input()) -> None:
            return None

    plan = compile_use_case(NameAndStock)

    with pytest.raises(RuleViolationError) as caught:
        await plan.run(NameAndStock(), payload={"name": None, "stock": None}, repos=_repos())

    assert caught.value.errors == (FieldError("stock", "clear name or stock, not both"),)


def test_an_unknown_field_reference_fails_where_it_is_declared() -> None:
    with pytest.raises(ConfigError) as caught:
        F(UpdateProduct).prise  # noqa: B018 - the attribute access is the declaration

    assert str(caught.value) == (
        "F(UpdateProduct).prise: UpdateProduct has no field 'prise'; "
        "fields: name, price_cents, stock"
    )


def test_field_references_need_a_command_class() -> None:
    with pytest.raises(ConfigError, match="need a command class"):
        F(dict)


async def test_a_check_with_from_params_receives_the_values_after_its_own() -> None:
    class StockUnderPrice(UseCase[Product, None]):
        rules = (
            Rule.check(
                F(UpdateProduct).stock,
                via=lambda stock, limit: f"at most {limit}" if stock > limit else None,
            ).from_params("limit"),
        )

        async def execute(self, limit: int, cmd: UpdateProduct = Input()) -> None:
            return None

    plan = compile_use_case(StockUnderPrice)

    with pytest.raises(RuleViolationError) as caught:
        await plan.run(StockUnderPrice(), {"limit": 3}, {"stock": 4}, repos=_repos())

    assert caught.value.errors == (FieldError("stock", "at most 3"),)


def test_when_present_takes_field_references_only() -> None:
    with pytest.raises(ConfigError, match=r"F\(UpdateProduct\)\.price_cents"):
        Rule.forbid(lambda cmd: False, message="x").when_present("stock")  # type: ignore[arg-type]  # the mistake under test
