"""Mutation events: every backend reports the same writes to post-commit hooks."""

from __future__ import annotations

from typing import Any

import pytest

from loom.core.events import MutationEvent
from loom.testing import InMemoryRepository
from tests.integration.repository.conftest import RepoFactory, new_user
from tests.integration.repository.models import Address, Order, User

pytestmark = pytest.mark.integration


class Recorder:
    """A post-commit hook that keeps every event it is given."""

    def __init__(self) -> None:
        self.events: list[MutationEvent] = []

    async def on_transaction_committed(self, events: tuple[MutationEvent, ...]) -> None:
        self.events.extend(events)


def listen(factory: RepoFactory, *repos: Any) -> Recorder:
    recorder = Recorder()
    if factory.kind == "memory":
        for repo in repos:
            assert isinstance(repo, InMemoryRepository)
            repo.add_post_commit_hook(recorder)
    else:
        factory.sm.add_post_commit_hook(recorder)
    return recorder


async def test_writes_report_the_same_events_on_every_backend(
    repo_factory: RepoFactory,
) -> None:
    users, addresses, orders = repo_factory(User), repo_factory(Address), repo_factory(Order)
    recorder = listen(repo_factory, users, addresses, orders)
    first, second = await users.create_many([new_user(1), new_user(2)])
    await addresses.create({"user_id": first.id, "city": "Lyon"})
    await users.update(second.id, {"nickname": "two"})
    await users.update(404, {"nickname": "nobody"})
    await users.upsert(new_user(2, score=5), conflict_on=("email",))
    await users.delete(first.id)
    await users.delete(404)
    assert [(e.entity, e.op, e.ids, e.fields) for e in recorder.events] == [
        ("users", "created", (first.id, second.id), ()),
        ("addresses", "created", (1,), ()),
        ("users", "updated", (second.id,), ("nickname", "updated_at")),
        ("users", "updated", (second.id,), ("full_name", "nickname", "score", "updated_at")),
        ("users", "deleted", (first.id,), ()),
        ("addresses", "deleted", (), ("user_id",)),  # ON DELETE CASCADE
    ]
