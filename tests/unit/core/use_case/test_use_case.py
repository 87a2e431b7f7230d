"""The UseCase base class: its model and result types come from its type arguments."""

from __future__ import annotations

from typing import Any, Generic, TypeVar, assert_type

from loom.core.repository.abc import RepoFor
from loom.core.use_case import compile_use_case
from loom.core.use_case.use_case import UseCase
from tests.unit.core.use_case.fakes import DictRepository, Repositories
from tests.unit.core.use_case.models import Address, Product, a_product

M = TypeVar("M")
R = TypeVar("R")


class GetProduct(UseCase[Product, Product | None]):
    async def execute(self, product_id: int) -> Product | None:
        return await self.main_repo.get_by_id(product_id)


class CrudBase(UseCase[M, R], Generic[M, R]):
    """A generic intermediate base, as auto-CRUD use cases are."""


class CountAddresses(CrudBase[Address, int]):
    async def execute(self) -> int:
        return await self.main_repo.count()


def test_the_model_and_result_come_from_the_type_arguments() -> None:
    assert GetProduct.model is Product
    assert GetProduct.result_type == Product | None
    assert GetProduct.read_only is False
    assert tuple(GetProduct.rules) == ()


def test_a_generic_intermediate_base_is_resolved_at_the_concrete_class() -> None:
    assert CrudBase.model is None
    assert CountAddresses.model is Address
    assert CountAddresses.result_type is int


def test_a_subclass_inherits_its_parent_model() -> None:
    class GetProductAgain(GetProduct):
        pass

    assert GetProductAgain.model is Product


def _main_repo_of(use_case: GetProduct) -> RepoFor[Product]:
    return assert_type(use_case.main_repo, RepoFor[Product])


def test_main_repo_is_typed_by_the_model() -> None:
    use_case = GetProduct()
    repo = DictRepository(Product, [a_product(42)])
    use_case.main_repo = repo

    assert _main_repo_of(use_case) is repo


async def test_a_main_repo_set_by_the_kernel_is_kept() -> None:
    kernel_repo = DictRepository(Product, [a_product(42)])
    use_case = GetProduct()
    use_case.main_repo = kernel_repo

    other: Any = Repositories(DictRepository(Product))
    found = await compile_use_case(GetProduct).run(use_case, {"product_id": 42}, repos=other)

    assert found == a_product(42)
    assert use_case.main_repo is kernel_repo
