"""Every mistake a use case can declare is a ConfigError at compile time naming its cause."""

# Markers are immutable records read at boot, like FastAPI's Depends(); B008 does not know them.

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from loom.core.errors import ConfigError
from loom.core.model import BaseModel, ColumnField
from loom.core.query import QuerySpec
from loom.core.use_case import (
    Exists,
    ExistsStep,
    F,
    Input,
    LoadById,
    LoadStep,
    OnMissing,
    Rule,
    compile_use_case,
)
from loom.core.use_case.use_case import UseCase
from tests.unit.core.use_case.models import (
    Address,
    CreateUserAddress,
    Product,
    UpdateAddress,
    UpdateProduct,
    User,
)


class NotAModel(msgspec.Struct):
    id: int


class Pair(BaseModel):
    left: int = ColumnField(primary_key=True)
    right: int = ColumnField(primary_key=True)


def _error(use_case: type[Any]) -> str:
    with pytest.raises(ConfigError) as caught:
        compile_use_case(use_case)
    return str(caught.value)


def test_a_valid_use_case_compiles_to_its_steps() -> None:
    class GetAddress(UseCase[Address, Address]):
        read_only = True

        async def execute(
            self,
            user_id: int,
            address_id: int,
            _user: bool = Exists(User, from_param="user_id"),
            address: Address = LoadById(Address, by="address_id", profile="default"),
        ) -> Address:
            return address

    plan = compile_use_case(GetAddress)

    assert plan.model is Address
    assert plan.read_only is True
    assert [p.name for p in plan.params] == ["user_id", "address_id"]
    assert plan.steps == (
        ExistsStep(
            name="_user",
            model=User,
            model_name="User",
            origin="param",
            source="user_id",
            against="id",
            against_key=True,
            key_type=int,
            on_missing=OnMissing.RAISE,
        ),
        LoadStep(
            name="address",
            model=Address,
            model_name="Address",
            by="address_id",
            key_type=int,
            profile="default",
        ),
    )
    assert plan.command_type is None


def test_load_by_naming_a_profile_the_model_does_not_declare() -> None:
    class GetAddress(UseCase[Address, Address]):
        async def execute(
            self,
            address_id: int,
            address: Address = LoadById(Address, by="address_id", profile="full"),
        ) -> Address:
            return address

    with pytest.raises(ConfigError) as caught:
        compile_use_case(GetAddress)
    message = str(caught.value)
    assert "profile 'full' is not a profile of Address" in message
    assert "profiles: default" in message


def test_load_by_naming_an_unknown_parameter() -> None:
    class ListAddressesUseCase(UseCase[Address, Any]):
        async def execute(
            self,
            user_id: int,
            cmd: CreateUserAddress = Input(),
            user: User = LoadById(User, by="usr_id"),
        ) -> Any:
            return None

    assert _error(ListAddressesUseCase) == (
        "ListAddressesUseCase.execute: parameter 'user' = LoadById(User, by='usr_id'): "
        "'usr_id' is not a parameter of execute; parameters: user_id, cmd, user"
    )


def test_load_by_naming_the_command_parameter() -> None:
    class ByCommand(UseCase[Address, Any]):
        async def execute(
            self, cmd: CreateUserAddress = Input(), user: User = LoadById(User, by="cmd")
        ) -> Any:
            return None

    assert "by='cmd' names the Input(), QuerySpec or a marker parameter" in _error(ByCommand)


def test_a_marker_model_that_is_not_a_loom_model() -> None:
    class Loads(UseCase[Address, Any]):
        async def execute(self, x: int, y: Any = LoadById(NotAModel, by="x")) -> Any:
            return None

    message = _error(Loads)
    assert "LoadById(NotAModel, by='x')" in message
    assert "is not a Loom model" in message


def test_the_use_case_model_that_is_not_a_loom_model() -> None:
    class Wrong(UseCase[NotAModel, None]):
        async def execute(self) -> None:
            return None

    assert _error(Wrong).startswith("Wrong: model NotAModel: 'NotAModel' is not a Loom model")


def test_load_by_id_of_a_model_with_a_composite_key() -> None:
    class LoadsPair(UseCase[Pair, Any]):
        async def execute(self, x: int, pair: Any = LoadById(Pair, by="x")) -> Any:
            return None

    assert "composite primary key" in _error(LoadsPair)


def test_exists_with_both_sources_or_neither() -> None:
    class Both(UseCase[Address, Any]):
        async def execute(
            self,
            user_id: int,
            cmd: CreateUserAddress = Input(),
            ok: bool = Exists(User, from_param="user_id", from_command="label"),
        ) -> Any:
            return None

    class Neither(UseCase[Address, Any]):
        async def execute(self, ok: bool = Exists(User)) -> Any:
            return None

    assert "give exactly one of from_param" in _error(Both)
    assert "give exactly one of from_param" in _error(Neither)


def test_exists_from_a_command_field_without_input() -> None:
    class NoInput(UseCase[Address, Any]):
        async def execute(self, ok: bool = Exists(User, from_command="user_id")) -> Any:
            return None

    assert "from_command='user_id' needs an Input() parameter" in _error(NoInput)


def test_exists_from_an_unknown_command_field() -> None:
    class UnknownField(UseCase[Address, Any]):
        async def execute(
            self,
            cmd: CreateUserAddress = Input(),
            ok: bool = Exists(User, from_command="owner"),
        ) -> Any:
            return None

    assert _error(UnknownField).endswith(
        "'owner' is not a field of CreateUserAddress; fields: label, street, city, country, "
        "zip_code"
    )


def test_exists_against_an_unknown_column() -> None:
    class UnknownColumn(UseCase[Address, Any]):
        async def execute(
            self, email: str, ok: bool = Exists(User, from_param="email", against="mail")
        ) -> Any:
            return None

    message = _error(UnknownColumn)
    assert "against='mail' is not a column of User" in message
    assert "columns: id, full_name, email, created_at, updated_at" in message


def test_input_annotated_with_something_that_is_not_a_command() -> None:
    class DictInput(UseCase[Address, Any]):
        async def execute(self, data: dict[str, Any] = Input()) -> Any:
            return None

    message = _error(DictInput)
    assert "parameter 'data' is Input() but annotated" in message
    assert "annotate it with a Command class" in message


def test_two_inputs() -> None:
    class TwoInputs(UseCase[Address, Any]):
        async def execute(self, a: CreateUserAddress = Input(), b: UpdateAddress = Input()) -> Any:
            return None

    assert "parameters 'a' and 'b' are both Input()" in _error(TwoInputs)


def test_two_query_specs() -> None:
    class TwoQueries(UseCase[Address, Any]):
        async def execute(self, a: QuerySpec, b: QuerySpec | None = None) -> Any:
            return None

    assert "parameters 'a' and 'b' are both QuerySpec" in _error(TwoQueries)


def test_no_execute() -> None:
    class Empty(UseCase[Address, Any]):
        pass

    assert _error(Empty) == "Empty does not define execute; add `async def execute(self, ...)`"


def test_an_execute_that_is_not_async() -> None:
    class Sync(UseCase[Address, Any]):
        def execute(self) -> Any:  # the mistake under test: not async
            return None

    assert "declare it `async def`" in _error(Sync)


def test_an_annotation_that_cannot_be_resolved() -> None:
    class Unresolved(UseCase[Address, Any]):
        async def execute(self, thing: Missing) -> Any:  # type: ignore[name-defined]  # noqa: F821 - on purpose
            return None

    assert "the annotation 'Missing' cannot be resolved" in _error(Unresolved)


def test_var_arguments() -> None:
    class Star(UseCase[Address, Any]):
        async def execute(self, **extra: Any) -> Any:
            return None

    assert "name every parameter" in _error(Star)


def test_a_rule_reading_an_unknown_name() -> None:
    class UnknownName(UseCase[Product, Any]):
        rules = (Rule.forbid(lambda stok: stok < 0, message="x").from_params("stok"),)

        async def execute(self, product_id: int, cmd: UpdateProduct = Input()) -> Any:
            return None

    assert _error(UnknownName).endswith(
        "'stok' is neither a parameter of execute nor a command field; rules can read: "
        "product_id, name, price_cents, stock"
    )


def test_a_rule_on_another_command() -> None:
    class OtherCommand(UseCase[Product, Any]):
        rules = (Rule.check(F(UpdateAddress).city, via=lambda v: None),)

        async def execute(self, cmd: UpdateProduct = Input()) -> Any:
            return None

    assert "use F(UpdateProduct)" in _error(OtherCommand)


def test_a_rule_on_a_command_field_without_input() -> None:
    class NoCommand(UseCase[Product, Any]):
        rules = (Rule.check(F(UpdateProduct).stock, via=lambda v: None),)

        async def execute(self, product_id: int) -> Any:
            return None

    assert "execute has no Input() parameter" in _error(NoCommand)


def test_a_rule_whose_function_cannot_take_its_values() -> None:
    class BadSignature(UseCase[Product, Any]):
        rules = (
            Rule.forbid(lambda price: price < 0, message="x").from_params(
                F(UpdateProduct).price_cents
            ),
        )

        async def execute(self, cmd: UpdateProduct = Input()) -> Any:
            return None

    message = _error(BadSignature)
    assert message.startswith("BadSignature.rules[0] Rule.forbid(<lambda>)")
    assert "cannot be called with (price_cents)" in message


def test_something_in_rules_that_is_not_a_rule() -> None:
    class NotARule(UseCase[Product, Any]):
        rules = (lambda cmd: None,)  # type: ignore[assignment]  # the mistake under test

        async def execute(self, cmd: UpdateProduct = Input()) -> Any:
            return None

    assert "is not a Rule" in _error(NotARule)
