"""Running a compiled plan: parameters, the command, Exists and LoadById, then execute."""

# Markers are immutable records read at boot, like FastAPI's Depends(); B008 does not know them.

from __future__ import annotations

from typing import Any

import pytest

from loom.core.errors import FieldError, NotFoundError, ValidationError
from loom.core.query import PageResult, QuerySpec
from loom.core.use_case import Exists, Input, LoadById, OnMissing, compile_use_case
from loom.core.use_case.use_case import UseCase
from tests.unit.core.use_case.fakes import DictRepository, Repositories
from tests.unit.core.use_case.models import (
    Address,
    CreateAddressRecord,
    CreateUserAddress,
    Product,
    Transfer,
    UpdateAddress,
    User,
    a_product,
    a_user,
)

ADDRESS = b'{"label": "Home", "street": "Main 1", "city": "Oslo", "country": "NO", "zip_code": "1"}'


class CreateAddressUseCase(UseCase[Address, Address]):
    async def execute(
        self,
        user_id: int,
        cmd: CreateUserAddress = Input(),
        _user_exists: bool = Exists(
            User, from_param="user_id", against="id", on_missing=OnMissing.RAISE
        ),
    ) -> Address:
        payload = CreateAddressRecord(user_id=user_id, **cmd.__dict__)
        return await self.main_repo.create(payload)


class BuildProductSummaryUseCase(UseCase[Product, str]):
    async def execute(
        self, product_id: int, product: Product = LoadById(Product, by="product_id")
    ) -> str:
        availability = "in stock" if product.stock > 0 else "out of stock"
        return f"{product.sku} ({product.name}) is {availability}."


class UserExistsUseCase(UseCase[User, bool]):
    async def execute(
        self,
        user_id: str,
        found: bool = Exists(User, from_param="user_id", on_missing=OnMissing.RETURN_FALSE),
    ) -> bool:
        return found


class TransferUseCase(UseCase[Product, bool]):
    async def execute(
        self,
        cmd: Transfer = Input(),
        known: bool = Exists(Product, from_command="product_id", on_missing=OnMissing.RAISE),
    ) -> bool:
        return known


class ListAddressesUseCase(UseCase[Address, Any]):
    read_only = True

    async def execute(self, user_id: int, query: QuerySpec, profile: str = "default") -> Any:
        return (user_id, query, profile)


class PatchAddressUseCase(UseCase[Address, dict[str, Any]]):
    async def execute(self, address_id: int, cmd: UpdateAddress = Input()) -> dict[str, Any]:
        return cmd.to_patch()


def _stores() -> tuple[Repositories, DictRepository[Address]]:
    addresses = DictRepository(Address)
    repos = Repositories(
        DictRepository(User, [a_user(1)]),
        addresses,
        DictRepository(Product, [a_product(42, stock=0), a_product(7, stock=3)]),
    )
    return repos, addresses


async def test_the_documented_create_address_use_case_creates_under_an_existing_user() -> None:
    repos, addresses = _stores()
    plan = compile_use_case(CreateAddressUseCase)

    created = await plan.run(CreateAddressUseCase(), {"user_id": "1"}, ADDRESS, repos=repos)

    assert created == Address(
        id=1, user_id=1, label="Home", street="Main 1", city="Oslo", country="NO", zip_code="1"
    )
    assert list(addresses.rows.values()) == [created]


async def test_the_documented_create_address_use_case_is_a_404_for_a_missing_user() -> None:
    repos, addresses = _stores()
    plan = compile_use_case(CreateAddressUseCase)

    with pytest.raises(NotFoundError) as caught:
        await plan.run(CreateAddressUseCase(), {"user_id": 9}, ADDRESS, repos=repos)

    assert caught.value.status == 404
    assert str(caught.value) == "User 9 not found"
    assert addresses.rows == {}


async def test_load_by_id_passes_the_entity_to_execute() -> None:
    repos, _ = _stores()
    plan = compile_use_case(BuildProductSummaryUseCase)

    summary = await plan.run(BuildProductSummaryUseCase(), {"product_id": "7"}, repos=repos)

    assert summary == "SKU-7 (Lamp) is in stock."


async def test_load_by_id_of_a_missing_entity_is_a_404_naming_it() -> None:
    repos, _ = _stores()
    plan = compile_use_case(BuildProductSummaryUseCase)

    with pytest.raises(NotFoundError, match=r"^Product 404 not found$"):
        await plan.run(BuildProductSummaryUseCase(), {"product_id": 404}, repos=repos)


async def test_load_by_id_converts_the_key_to_the_primary_key_type() -> None:
    class ByText(UseCase[Product, int]):
        async def execute(
            self, product_id: str, product: Product = LoadById(Product, by="product_id")
        ) -> int:
            return product.id

    repos, _ = _stores()

    assert await compile_use_case(ByText).run(ByText(), {"product_id": "42"}, repos=repos) == 42


async def test_exists_return_false_gives_execute_false_instead_of_an_error() -> None:
    repos, _ = _stores()
    plan = compile_use_case(UserExistsUseCase)

    assert await plan.run(UserExistsUseCase(), {"user_id": "1"}, repos=repos) is True
    assert await plan.run(UserExistsUseCase(), {"user_id": "2"}, repos=repos) is False


async def test_exists_without_on_missing_gives_false_as_loom_kernel_does() -> None:
    class Lookup(UseCase[User, tuple[bool, bool]]):
        async def execute(
            self,
            user_id: int,
            cmd: Transfer = Input(),
            user_found: bool = Exists(User, from_param="user_id"),
            product_found: bool = Exists(Product, from_command="product_id"),
        ) -> tuple[bool, bool]:
            return user_found, product_found

    repos, _ = _stores()
    plan = compile_use_case(Lookup)
    payload = {"product_id": 5, "quantity": 1}

    assert await plan.run(Lookup(), {"user_id": 2}, payload, repos=repos) == (False, False)
    assert await plan.run(Lookup(), {"user_id": 1}, payload, repos=repos) == (True, False)


async def test_exists_from_a_command_field_is_a_422_naming_the_field() -> None:
    repos, _ = _stores()
    plan = compile_use_case(TransferUseCase)

    with pytest.raises(ValidationError) as caught:
        await plan.run(TransferUseCase(), None, b'{"product_id": 5, "quantity": 1}', repos=repos)

    assert caught.value.status == 422
    assert not isinstance(caught.value, NotFoundError)
    assert [e.field for e in caught.value.errors] == ["product_id"]
    assert "no Product with id 5" in caught.value.errors[0].message


async def test_exists_from_a_command_field_passes_for_an_existing_row() -> None:
    repos, _ = _stores()
    plan = compile_use_case(TransferUseCase)

    payload = {"product_id": 42, "quantity": 1}
    assert await plan.run(TransferUseCase(), payload=payload, repos=repos) is True


async def test_exists_skips_a_null_command_value() -> None:
    repos, _ = _stores()
    plan = compile_use_case(TransferUseCase)

    payload = {"product_id": None, "quantity": 1}
    assert await plan.run(TransferUseCase(), payload=payload, repos=repos) is False
    assert repos.calls() == []


async def test_a_parameter_that_does_not_fit_its_type_is_a_422_naming_it() -> None:
    repos, _ = _stores()
    plan = compile_use_case(CreateAddressUseCase)

    with pytest.raises(ValidationError) as caught:
        await plan.run(CreateAddressUseCase(), {"user_id": "abc"}, ADDRESS, repos=repos)

    assert caught.value.errors == (FieldError("user_id", "expected int, got str"),)
    assert repos.calls() == []


async def test_a_missing_parameter_is_a_422_naming_it() -> None:
    repos, _ = _stores()
    plan = compile_use_case(CreateAddressUseCase)

    with pytest.raises(ValidationError) as caught:
        await plan.run(CreateAddressUseCase(), {}, ADDRESS, repos=repos)

    assert caught.value.errors == (FieldError("user_id", "required parameter is missing"),)


async def test_a_body_with_an_unknown_field_is_a_422_before_any_repository_call() -> None:
    repos, _ = _stores()
    plan = compile_use_case(CreateAddressUseCase)

    with pytest.raises(ValidationError) as caught:
        await plan.run(CreateAddressUseCase(), {"user_id": 1}, b'{"label": 1}', repos=repos)

    assert [e.field for e in caught.value.errors] == ["label"]
    assert repos.calls() == []


async def test_query_spec_and_defaulted_parameters_are_filled() -> None:
    repos, _ = _stores()
    plan = compile_use_case(ListAddressesUseCase)
    query = QuerySpec(limit=5)

    given = await plan.run(
        ListAddressesUseCase(), {"user_id": "3", "profile": "full"}, repos=repos, query=query
    )
    defaults = await plan.run(ListAddressesUseCase(), {"user_id": 3}, repos=repos)

    assert given == (3, query, "full")
    assert defaults == (3, QuerySpec(), "default")
    assert plan.read_only is True
    assert plan.query_param == "query"
    assert [p.name for p in plan.params] == ["user_id", "profile"]


async def test_patch_fields_reach_execute_as_sent() -> None:
    repos, _ = _stores()
    plan = compile_use_case(PatchAddressUseCase)

    patch = await plan.run(
        PatchAddressUseCase(), {"address_id": 1}, b'{"city": null, "label": "Work"}', repos=repos
    )

    assert patch == {"label": "Work", "city": None}


async def test_run_sets_main_repo_from_the_lookup() -> None:
    class ListAll(UseCase[Product, list[Product]]):
        read_only = True

        async def execute(self) -> list[Product]:
            page = await self.main_repo.list_with_query(QuerySpec())
            assert isinstance(page, PageResult)
            return page.items

    repos, _ = _stores()

    items = await compile_use_case(ListAll).run(ListAll(), repos=repos)

    assert [p.id for p in items] == [42, 7]


async def test_bind_resolves_arguments_without_calling_execute() -> None:
    repos, _ = _stores()
    plan = compile_use_case(BuildProductSummaryUseCase)

    kwargs = await plan.bind({"product_id": "42", "unrelated": 1}, repos=repos)

    assert kwargs == {"product_id": 42, "product": a_product(42, stock=0)}


async def test_a_number_given_for_a_text_parameter_is_read_as_its_text() -> None:
    class Echo(UseCase[Product, str]):
        async def execute(self, product_id: str) -> str:
            return product_id

    repos, _ = _stores()

    assert await compile_use_case(Echo).run(Echo(), {"product_id": 42}, repos=repos) == "42"


async def test_exists_against_another_column_names_the_column_and_value() -> None:
    class ByEmail(UseCase[User, bool]):
        async def execute(
            self,
            email: str,
            ok: bool = Exists(
                User, from_param="email", against="email", on_missing=OnMissing.RAISE
            ),
        ) -> bool:
            return ok

    repos, _ = _stores()
    plan = compile_use_case(ByEmail)

    assert await plan.run(ByEmail(), {"email": "ada1@example.com"}, repos=repos) is True
    with pytest.raises(NotFoundError, match=r"^User with email='bob@example\.com' not found$"):
        await plan.run(ByEmail(), {"email": "bob@example.com"}, repos=repos)
