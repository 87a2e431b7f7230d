"""The store's use cases on InMemoryRepository: every marker works without a database."""

from __future__ import annotations

from typing import Any

import pytest

from app.user.model import Address, User
from app.user.use_cases import CreateAddressUseCase, ListAddressesUseCase
from loom.core.errors import NotFoundError, ValidationError
from loom.core.query import FilterGroup, FilterSpec, PageResult, QuerySpec
from loom.core.repository.abc import RepoFor
from loom.core.use_case import compile_use_case
from loom.testing import InMemoryRepository


class Repositories:
    """A repository lookup over in-memory repositories, linked so foreign keys hold."""

    def __init__(self) -> None:
        self.users: InMemoryRepository[User, int] = InMemoryRepository(User)
        self.addresses: InMemoryRepository[Address, int] = InMemoryRepository(
            Address, relations=[self.users]
        )

    def for_model(self, model: type[Any]) -> RepoFor[Any]:
        repositories: dict[type[Any], RepoFor[Any]] = {User: self.users, Address: self.addresses}
        return repositories[model]


ADDRESS = {"label": "home", "street": "1 Main", "city": "Paris", "country": "FR", "zip_code": "1"}


async def run(use_case: type[Any], repos: Repositories, **kwargs: Any) -> Any:
    plan = compile_use_case(use_case)
    return await plan.run(use_case(), repos=repos, **kwargs)


async def test_input_and_exists_markers_create_on_the_memory_repository() -> None:
    repos = Repositories()
    user = await repos.users.create({"full_name": "Ada", "email": "ada@example.com"})
    address = await run(
        CreateAddressUseCase, repos, params={"user_id": str(user.id)}, payload=ADDRESS
    )
    assert address.user_id == user.id
    assert (await repos.addresses.get_by_id(address.id)) == address


async def test_exists_from_a_path_parameter_is_a_404_and_writes_nothing() -> None:
    repos = Repositories()
    with pytest.raises(NotFoundError, match="User 7"):
        await run(CreateAddressUseCase, repos, params={"user_id": 7}, payload=ADDRESS)
    assert await repos.addresses.count() == 0


async def test_a_bad_body_names_the_field() -> None:
    repos = Repositories()
    with pytest.raises(ValidationError) as info:
        await run(CreateAddressUseCase, repos, params={"user_id": 1}, payload={"label": 3})
    assert info.value.errors[0].field == "label"


async def test_the_query_parameter_scopes_the_list() -> None:
    repos = Repositories()
    ada = await repos.users.create({"full_name": "Ada", "email": "ada@example.com"})
    bob = await repos.users.create({"full_name": "Bob", "email": "bob@example.com"})
    for owner, city in ((ada, "Paris"), (ada, "Lyon"), (bob, "Rome")):
        await repos.addresses.create({**ADDRESS, "user_id": owner.id, "city": city})
    query = QuerySpec(filters=FilterGroup(filters=(FilterSpec(field="city", value="Lyon"),)))
    page = await run(ListAddressesUseCase, repos, params={"user_id": ada.id}, query=query)
    assert isinstance(page, PageResult)
    assert [a.city for a in page.items] == ["Lyon"]


async def test_load_by_id_loads_or_answers_404() -> None:
    from app.product.model import Product
    from app.product.use_cases import BuildProductSummaryUseCase

    products: InMemoryRepository[Product, int] = InMemoryRepository(Product)

    class Lookup:
        def for_model(self, model: type[Any]) -> RepoFor[Any]:
            return products

    lamp = await products.create(
        {"sku": "L1", "name": "Lamp", "category": "home", "price_cents": 100, "stock": 0}
    )
    plan = compile_use_case(BuildProductSummaryUseCase)
    summary = await plan.run(
        BuildProductSummaryUseCase(), params={"product_id": lamp.id}, repos=Lookup()
    )
    assert summary.summary == "L1 (Lamp) is out of stock."
    with pytest.raises(NotFoundError, match="Product 99 not found"):
        await plan.run(BuildProductSummaryUseCase(), params={"product_id": 99}, repos=Lookup())
