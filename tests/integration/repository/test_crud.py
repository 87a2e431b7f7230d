"""Create, read, update and delete round trips: the same answers on memory, SQLite, PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import msgspec
import pytest

from loom.core.command import Command, Patch
from loom.core.errors import ValidationError
from tests.integration.repository.conftest import RepoFactory, new_user
from tests.integration.repository.models import User
from tests.integration.sqlalchemy.models import Color, Everything

pytestmark = pytest.mark.integration


class NewUser(msgspec.Struct, kw_only=True):
    full_name: str
    email: str
    nickname: str | None = None


class ChangeUser(Command):
    full_name: Patch[str] = None
    nickname: Patch[str] = None
    score: Patch[int] = None


async def test_every_field_type_round_trips(repo_factory: RepoFactory) -> None:
    repo = repo_factory(Everything)
    at = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=timezone(timedelta(hours=2)))
    token = uuid.UUID("12345678-1234-5678-1234-567812345678")
    created = await repo.create(
        {
            "name": "all",
            "note": "a note",
            "flag": True,
            "ratio": 0.25,
            "price": Decimal("12.50"),
            "at": at,
            "day": date(2024, 2, 29),
            "token": token,
            "blob": b"\x00\xffbytes",
            "color": Color.GREEN,
            "tags": ["a", "b"],
            "extra": {"k": 1, "nested": [1, "x", None]},
        }
    )
    fetched = await repo.get_by_id(created.id)
    assert fetched == created
    assert fetched.name == "all"
    assert fetched.note == "a note"
    assert fetched.flag is True
    assert fetched.ratio == 0.25
    assert fetched.price == Decimal("12.5")
    assert fetched.at == at
    assert fetched.at is not None
    assert fetched.at.utcoffset() == timedelta(0)
    assert fetched.day == date(2024, 2, 29)
    assert fetched.token == token
    assert fetched.blob == b"\x00\xffbytes"
    assert fetched.color is Color.GREEN
    assert fetched.tags == ["a", "b"]
    assert fetched.extra == {"k": 1, "nested": [1, "x", None]}


async def test_defaults_and_nulls_round_trip(repo_factory: RepoFactory) -> None:
    repo = repo_factory(Everything)
    created = await repo.create({"name": "bare"})
    assert await repo.get_by_id(created.id) == Everything(
        id=created.id, name="bare", note=None, flag=False, ratio=0.0, price=Decimal("0"),
        at=None, day=None, token=None, blob=None, color=Color.RED, tags=[], extra={},
    )  # fmt: skip


async def test_struct_model_and_mapping_inputs_store_the_same_row(
    repo_factory: RepoFactory,
) -> None:
    repo = repo_factory(User)
    from_struct = await repo.create(NewUser(full_name="A", email="a@example.com", nickname="aa"))
    from_model = await repo.create(User(full_name="B", email="b@example.com", nickname="bb"))
    from_mapping = await repo.create({"full_name": "C", "email": "c@example.com"})
    assert [
        (u.full_name, u.email, u.nickname) for u in (from_struct, from_model, from_mapping)
    ] == [
        ("A", "a@example.com", "aa"),
        ("B", "b@example.com", "bb"),
        ("C", "c@example.com", None),
    ]
    assert from_struct.id < from_model.id < from_mapping.id
    assert from_struct.created_at.tzinfo is not None
    assert await repo.get_by_id(from_model.id) == from_model


async def test_unknown_field_is_a_validation_error_naming_it(repo_factory: RepoFactory) -> None:
    repo = repo_factory(User)
    with pytest.raises(ValidationError) as caught:
        await repo.create(new_user(1, emial="typo@example.com"))
    assert [e.field for e in caught.value.errors] == ["emial"]
    assert "'emial'" in str(caught.value)
    assert caught.value.status == 422
    with pytest.raises(ValidationError) as on_update:
        await repo.update(1, {"nick": "x"})
    assert [e.field for e in on_update.value.errors] == ["nick"]
    assert await repo.count() == 0


async def test_missing_required_field_is_a_validation_error_naming_it(
    repo_factory: RepoFactory,
) -> None:
    repo = repo_factory(User)
    with pytest.raises(ValidationError) as caught:
        await repo.create({"full_name": "No Mail"})
    assert [e.field for e in caught.value.errors] == ["email"]
    assert "email" in str(caught.value)


async def test_wrong_type_is_a_validation_error_naming_the_field(
    repo_factory: RepoFactory,
) -> None:
    repo = repo_factory(User)
    with pytest.raises(ValidationError) as caught:
        await repo.create(new_user(1, score="many"))
    assert [e.field for e in caught.value.errors] == ["score"]


async def test_update_changes_only_the_fields_sent(repo_factory: RepoFactory) -> None:
    repo = repo_factory(User)
    user = await repo.create(new_user(1, nickname="nick", score=3))
    updated = await repo.update(user.id, ChangeUser(score=4))
    assert updated is not None
    assert (updated.full_name, updated.nickname, updated.score) == ("User 1", "nick", 4)
    assert updated.created_at == user.created_at
    assert updated.updated_at >= user.updated_at
    assert await repo.get_by_id(user.id) == updated


async def test_patch_none_sets_null_and_absent_leaves_untouched(
    repo_factory: RepoFactory,
) -> None:
    repo = repo_factory(User)
    user = await repo.create(new_user(1, nickname="nick", score=3))
    updated = await repo.update(user.id, ChangeUser(nickname=None))
    assert updated is not None
    assert (updated.full_name, updated.nickname, updated.score) == ("User 1", None, 3)
    from_mapping = await repo.update(user.id, {"full_name": "Renamed"})
    assert from_mapping is not None
    assert (from_mapping.full_name, from_mapping.nickname) == ("Renamed", None)


async def test_patch_none_on_a_required_field_is_refused(repo_factory: RepoFactory) -> None:
    repo = repo_factory(User)
    user = await repo.create(new_user(1))
    with pytest.raises(ValidationError) as caught:
        await repo.update(user.id, ChangeUser(full_name=None))
    assert [e.field for e in caught.value.errors] == ["full_name"]
    fetched = await repo.get_by_id(user.id)
    assert fetched is not None
    assert fetched.full_name == "User 1"


async def test_empty_patch_returns_the_row_unchanged(repo_factory: RepoFactory) -> None:
    repo = repo_factory(User)
    user = await repo.create(new_user(1))
    assert await repo.update(user.id, ChangeUser()) == user


async def test_missing_rows_are_none_and_false(repo_factory: RepoFactory) -> None:
    repo = repo_factory(User)
    assert await repo.get_by_id(404) is None
    assert await repo.update(404, {"full_name": "Nobody"}) is None
    assert await repo.update(404, {}) is None
    assert await repo.delete(404) is False


async def test_delete_removes_the_row_once(repo_factory: RepoFactory) -> None:
    repo = repo_factory(User)
    user = await repo.create(new_user(1))
    assert await repo.delete(user.id) is True
    assert await repo.get_by_id(user.id) is None
    assert await repo.delete(user.id) is False


async def test_results_are_copies_callers_cannot_change_stored_rows(
    repo_factory: RepoFactory,
) -> None:
    repo = repo_factory(Everything)
    created = await repo.create({"name": "x", "tags": ["a"], "extra": {"k": [1]}})
    created.tags.append("mutated")
    created.extra["k"].append(2)
    created.name = "changed"
    fetched = await repo.get_by_id(created.id)
    assert fetched is not None
    assert (fetched.name, fetched.tags, fetched.extra) == ("x", ["a"], {"k": [1]})


async def test_create_many_keeps_order_and_assigns_increasing_ids(
    repo_factory: RepoFactory,
) -> None:
    repo = repo_factory(User)
    assert await repo.create_many([]) == []
    created = await repo.create_many([new_user(n) for n in (5, 3, 9, 1)])
    assert [u.email for u in created] == [f"u{n}@example.com" for n in (5, 3, 9, 1)]
    ids = [u.id for u in created]
    assert ids == sorted(ids)
    assert len(set(ids)) == 4
    for user in created:
        assert await repo.get_by_id(user.id) == user


async def test_create_many_with_different_fields_per_item(repo_factory: RepoFactory) -> None:
    repo = repo_factory(User)
    created = await repo.create_many([new_user(1, nickname="one"), new_user(2, score=2)])
    assert [(u.nickname, u.score) for u in created] == [("one", None), (None, 2)]


async def test_timestamps_are_aware_utc(repo_factory: RepoFactory) -> None:
    repo = repo_factory(User)
    before = datetime.now(UTC)
    user = await repo.create(new_user(1))
    assert user.created_at.utcoffset() == timedelta(0)
    assert before - timedelta(seconds=5) <= user.created_at <= datetime.now(UTC)
