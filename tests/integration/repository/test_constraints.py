"""Constraints: unique values, references to parents, ON DELETE actions, upsert, atomic batches."""

from __future__ import annotations

import pytest

from loom.core.errors import ConflictError, QueryError, ValidationError
from tests.integration.repository.conftest import RepoFactory, new_user
from tests.integration.repository.models import Address, Order, User

pytestmark = pytest.mark.integration


async def test_taken_email_is_a_conflict_naming_the_field(repo_factory: RepoFactory) -> None:
    users = repo_factory(User)
    await users.create(new_user(1))
    with pytest.raises(ConflictError) as caught:
        await users.create({"full_name": "Other", "email": "u1@example.com"})
    assert caught.value.status == 409
    assert caught.value.fields == ("email",)
    assert "User with this email already exists" in str(caught.value)
    assert await users.count() == 1


async def test_update_to_a_taken_email_is_a_conflict(repo_factory: RepoFactory) -> None:
    users = repo_factory(User)
    await users.create(new_user(1))
    second = await users.create(new_user(2))
    with pytest.raises(ConflictError) as caught:
        await users.update(second.id, {"email": "u1@example.com"})
    assert caught.value.fields == ("email",)
    fetched = await users.get_by_id(second.id)
    assert fetched is not None
    assert fetched.email == "u2@example.com"


async def test_reference_to_a_missing_parent_is_a_validation_error_naming_it(
    repo_factory: RepoFactory,
) -> None:
    repo_factory(User)
    addresses = repo_factory(Address)
    with pytest.raises(ValidationError) as caught:
        await addresses.create({"user_id": 999, "city": "Nowhere"})
    assert caught.value.status == 422
    assert [e.field for e in caught.value.errors] == ["user_id"]
    assert "user_id" in str(caught.value)
    assert await addresses.count() == 0


async def test_delete_of_a_parent_with_restricting_children_is_a_conflict(
    repo_factory: RepoFactory,
) -> None:
    users, orders = repo_factory(User), repo_factory(Order)
    user = await users.create(new_user(1))
    await orders.create({"user_id": user.id, "total": 10})
    with pytest.raises(ConflictError) as caught:
        await users.delete(user.id)
    assert caught.value.status == 409
    assert caught.value.code == "still_referenced"
    assert await users.get_by_id(user.id) is not None
    assert await orders.count() == 1


async def test_delete_of_a_parent_cascades_to_its_children(repo_factory: RepoFactory) -> None:
    users, addresses = repo_factory(User), repo_factory(Address)
    first, second = await users.create_many([new_user(1), new_user(2)])
    gone = await addresses.create_many(
        [{"user_id": first.id, "city": "Lyon"}, {"user_id": first.id, "city": "Nice"}]
    )
    kept = await addresses.create({"user_id": second.id, "city": "Oslo"})
    assert await users.delete(first.id) is True
    assert [await addresses.get_by_id(a.id) for a in gone] == [None, None]
    assert await addresses.get_by_id(kept.id) == kept
    assert await addresses.count() == 1


async def test_a_failed_batch_stores_nothing(repo_factory: RepoFactory) -> None:
    users = repo_factory(User)
    with pytest.raises(ConflictError):
        await users.create_many([new_user(1), new_user(2), new_user(1)])
    assert await users.count() == 0


async def test_upsert_inserts_then_updates_on_the_conflict_key(
    repo_factory: RepoFactory,
) -> None:
    users = repo_factory(User)
    inserted = await users.upsert(new_user(1, nickname="first"), conflict_on=("email",))
    assert (inserted.full_name, inserted.nickname) == ("User 1", "first")
    updated = await users.upsert(
        {"full_name": "Renamed", "email": "u1@example.com", "nickname": "second"},
        conflict_on=("email",),
    )
    assert updated.id == inserted.id
    assert (updated.full_name, updated.nickname) == ("Renamed", "second")
    assert updated.created_at == inserted.created_at
    assert await users.count() == 1
    assert await users.get_by_id(inserted.id) == updated


async def test_upsert_on_the_primary_key_by_default(repo_factory: RepoFactory) -> None:
    orders = repo_factory(Order)
    user = await repo_factory(User).create(new_user(1))
    first = await orders.upsert({"id": 7, "user_id": user.id, "total": 1})
    second = await orders.upsert({"id": 7, "user_id": user.id, "total": 2})
    assert (first.id, first.total, second.id, second.total) == (7, 1, 7, 2)
    assert await orders.count() == 1


async def test_upsert_needs_the_conflict_key_in_the_data(repo_factory: RepoFactory) -> None:
    users = repo_factory(User)
    with pytest.raises(ValidationError) as caught:
        await users.upsert({"full_name": "No Mail", "nickname": "x"}, conflict_on=("email",))
    assert [e.field for e in caught.value.errors] == ["email"]


async def test_upsert_on_a_field_that_is_not_unique_is_refused(repo_factory: RepoFactory) -> None:
    users = repo_factory(User)
    with pytest.raises(QueryError) as caught:
        await users.upsert(new_user(1), conflict_on=("full_name",))
    assert "full_name" in str(caught.value)
    assert "email" in str(caught.value)  # names the unique fields to use instead
    with pytest.raises(QueryError) as unknown:
        await users.upsert(new_user(1), conflict_on=("mail",))
    assert "'mail'" in str(unknown.value)
    assert await users.count() == 0
