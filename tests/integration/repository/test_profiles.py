"""Relations and projections by profile: loaded when a profile asks, UNSET otherwise."""

from __future__ import annotations

import msgspec
import pytest

from loom.core.errors import QueryError
from loom.core.model import model_info
from loom.core.query import FilterGroup, FilterOp, FilterSpec, QuerySpec
from tests.integration.repository.conftest import RepoFactory, new_user
from tests.integration.repository.models import Address, Order, User

pytestmark = pytest.mark.integration

ADDRESS_COUNT = model_info(User).projections["address_count"]
ORDER_TOTAL = model_info(User).projections["order_total"]


async def family(repo_factory: RepoFactory) -> tuple[list[User], list[Address]]:
    users, addresses, orders = repo_factory(User), repo_factory(Address), repo_factory(Order)
    ann, ben, cat = await users.create_many([new_user("ann"), new_user("ben"), new_user("cat")])
    homes = await addresses.create_many(
        [
            {"user_id": ben.id, "city": "Oslo"},
            {"user_id": ann.id, "city": "Lyon"},
            {"user_id": ben.id, "city": "Rome"},
        ]
    )
    await orders.create_many([{"user_id": ann.id, "total": 5}, {"user_id": ann.id, "total": 7}])
    return [ann, ben, cat], homes


async def test_many_to_one_relation_is_loaded_by_its_profile(repo_factory: RepoFactory) -> None:
    (ann, ben, _), homes = await family(repo_factory)
    addresses = repo_factory(Address)
    plain = await addresses.get_by_id(homes[0].id)
    assert plain is not None
    assert plain.user is msgspec.UNSET
    loaded = await addresses.get_by_id(homes[0].id, profile="with_user")
    assert loaded is not None
    assert loaded.user == ben
    page = await addresses.list_with_query(QuerySpec(), profile="with_user")
    assert [(a.city, a.user.full_name if a.user else None) for a in page.items] == [
        ("Oslo", ben.full_name),
        ("Lyon", ann.full_name),
        ("Rome", ben.full_name),
    ]


async def test_one_to_many_relation_lists_children_in_key_order(
    repo_factory: RepoFactory,
) -> None:
    (ann, _ben, cat), homes = await family(repo_factory)
    users = repo_factory(User)
    page = await users.list_with_query(QuerySpec(), profile="with_addresses")
    loaded = [u.addresses for u in page.items]
    assert [[a.city for a in addresses] for addresses in loaded if isinstance(addresses, list)] == [
        ["Lyon"],
        ["Oslo", "Rome"],
        [],
    ]
    assert page.items[1].addresses == [homes[0], homes[2]]
    by_email = await users.get_by("email", cat.email, profile="with_addresses")
    assert by_email is not None
    assert by_email.addresses == []
    plain = await users.get_by_id(ann.id)
    assert plain is not None
    assert plain.addresses is msgspec.UNSET


async def test_count_projection_has_a_value_only_in_its_profiles(
    repo_factory: RepoFactory,
) -> None:
    (_ann, ben, _cat), _ = await family(repo_factory)
    users = repo_factory(User)
    plain = await users.get_by_id(ben.id)
    assert plain is not None
    assert ADDRESS_COUNT.has_value(plain) is False
    assert plain.address_count is msgspec.UNSET
    counted = await users.list_with_query(QuerySpec(), profile="counted")
    assert [u.address_count for u in counted.items] == [1, 2, 0]  # 0 is the default
    assert all(ADDRESS_COUNT.has_value(u) for u in counted.items)
    assert not any(ORDER_TOTAL.has_value(u) for u in counted.items)
    assert not any(isinstance(u.addresses, list) for u in counted.items)


async def test_a_profile_loads_relations_and_projections_together(
    repo_factory: RepoFactory,
) -> None:
    (ann, _, cat), _ = await family(repo_factory)
    users = repo_factory(User)
    only = FilterGroup(filters=(FilterSpec(field="id", op=FilterOp.IN, value=[ann.id, cat.id]),))
    page = await users.list_with_query(QuerySpec(filters=only), profile="full")
    assert [(u.address_count, u.order_total, u.addresses) for u in page.items] == [
        (1, 12, [Address(id=2, user_id=ann.id, city="Lyon")]),
        (0, None, []),  # SumLoader without rows: the projection's default (None)
    ]


@pytest.mark.parametrize("read", ["get_by_id", "get_by", "list_with_query"])
async def test_unknown_profile_is_a_query_error_naming_the_known_ones(
    repo_factory: RepoFactory, read: str
) -> None:
    (ann, _, _), _ = await family(repo_factory)
    users = repo_factory(User)
    with pytest.raises(QueryError) as caught:
        if read == "get_by_id":
            await users.get_by_id(ann.id, profile="no-such-profile")
        elif read == "get_by":
            await users.get_by("email", ann.email, profile="no-such-profile")
        else:
            await users.list_with_query(QuerySpec(), profile="no-such-profile")
    assert caught.value.status == 400
    assert [e.field for e in caught.value.errors] == ["profile"]
    assert "unknown profile 'no-such-profile' for User" in caught.value.message
    assert "profiles: default, counted, full, with_addresses" in caught.value.message
