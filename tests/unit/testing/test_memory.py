"""What only the in-memory repository has to get right: units of work, linking, defaults."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import msgspec
import pytest
from msgspec import UnsetType

from loom.core.errors import ConfigError, TransactionError
from loom.core.events import MutationEvent
from loom.core.model import BaseModel, ColumnField, OnDelete, Projection, RelationField
from loom.core.transaction import UnitOfWork
from loom.core.transaction._uow import _reset_current, _set_current
from loom.testing import InMemoryRepository


class Doubler:
    """A custom projection loader: it is handed the in-memory repository and the page."""

    def __init__(self) -> None:
        self.seen: list[Any] = []

    async def load(self, repository: Any, items: Sequence[Any]) -> Mapping[Any, Any]:
        self.seen.append(repository)
        return {item.id: item.rank * 2 for item in items}


DOUBLER = Doubler()


class Team(BaseModel):
    __tablename__ = "teams"
    id: int = ColumnField(primary_key=True, autoincrement=True)
    name: str
    status: str = ColumnField(server_default="'new'")
    rank: int = ColumnField(server_default="0")
    members: list[Player] | UnsetType = RelationField("Player", foreign_key="team_id", many=True)
    # Projection is not declared as a field specifier, so its default needs the ignore.
    doubled: int | UnsetType | None = Projection(loader=DOUBLER, profiles=("stats",))


class Player(BaseModel):
    __tablename__ = "players"
    id: int = ColumnField(primary_key=True, autoincrement=True)
    name: str
    team_id: int | None = ColumnField(
        foreign_key="teams.id", on_delete=OnDelete.SET_NULL, nullable=True
    )


class Badge(BaseModel):
    __tablename__ = "badges"
    id: int = ColumnField(primary_key=True, autoincrement=True)
    code: str = ColumnField(server_default="gen_random_uuid()")


@contextmanager
def unit_of_work(*, read_only: bool = False) -> Iterator[UnitOfWork]:
    # What a transaction runner does: make a unit of work current for the task.
    uow = UnitOfWork(read_only=read_only)
    token = _set_current(uow)
    try:
        yield uow
    finally:
        _reset_current(token)


class Recorder:
    def __init__(self) -> None:
        self.events: list[MutationEvent] = []

    async def on_transaction_committed(self, events: tuple[MutationEvent, ...]) -> None:
        self.events.extend(events)


async def test_writes_in_a_unit_of_work_are_recorded_not_delivered() -> None:
    teams: InMemoryRepository[Team, int] = InMemoryRepository(Team)
    recorder = Recorder()
    teams.add_post_commit_hook(recorder)
    with unit_of_work() as uow:
        team = await teams.create({"name": "Reds"})
        await teams.update(team.id, {"name": "Blues"})
    assert [(e.op, e.ids) for e in uow.events] == [("created", (1,)), ("updated", (1,))]
    assert recorder.events == []
    await teams.delete(team.id)
    assert recorder.events == [MutationEvent("teams", "deleted", (1,), ())]


async def test_writes_in_a_read_only_unit_of_work_are_refused() -> None:
    teams: InMemoryRepository[Team, int] = InMemoryRepository(Team)
    with unit_of_work(read_only=True), pytest.raises(TransactionError) as caught:
        await teams.create({"name": "Reds"})
    assert "read-only" in str(caught.value)
    assert await teams.count() == 0


async def test_server_defaults_are_evaluated() -> None:
    team = await InMemoryRepository(Team).create({"name": "Reds"})
    assert (team.status, team.rank) == ("new", 0)


async def test_a_server_default_memory_cannot_evaluate_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as caught:
        await InMemoryRepository(Badge).create({})
    assert "Badge.code" in str(caught.value)
    assert "gen_random_uuid()" in str(caught.value)


async def test_set_null_on_delete_clears_the_children_reference() -> None:
    teams: InMemoryRepository[Team, int] = InMemoryRepository(Team)
    players: InMemoryRepository[Player, int] = InMemoryRepository(Player, relations=[teams])
    team = await teams.create({"name": "Reds"})
    player = await players.create({"name": "Ann", "team_id": team.id})
    assert await teams.delete(team.id) is True
    assert await players.get_by_id(player.id) == Player(id=player.id, name="Ann", team_id=None)


async def test_linking_is_symmetric_and_relations_load_from_linked_repositories() -> None:
    players: InMemoryRepository[Player, int] = InMemoryRepository(Player)
    teams: InMemoryRepository[Team, int] = InMemoryRepository(Team, relations={"players": players})
    team = await teams.create({"name": "Reds"})
    await players.create_many([{"name": "Ann", "team_id": team.id}, {"name": "Bo"}])
    loaded = await teams.get_by_id(team.id)
    assert loaded is not None
    assert isinstance(loaded.members, list)
    assert [p.name for p in loaded.members] == ["Ann"]


async def test_an_unlinked_relation_target_is_a_config_error_saying_how_to_link() -> None:
    teams: InMemoryRepository[Team, int] = InMemoryRepository(Team)
    await teams.create({"name": "Reds"})
    with pytest.raises(ConfigError) as caught:
        await teams.get_by_id(1)
    assert "'Player'" in str(caught.value)
    assert "relations=" in str(caught.value)


async def test_two_repositories_of_one_table_cannot_be_linked() -> None:
    with pytest.raises(ConfigError) as caught:
        InMemoryRepository(Team, relations=[InMemoryRepository(Team)])
    assert "'teams'" in str(caught.value)


async def test_references_to_unlinked_tables_are_not_checked() -> None:
    player = await InMemoryRepository(Player).create({"name": "Ann", "team_id": 42})
    assert player.team_id == 42


async def test_generated_keys_continue_after_a_given_key() -> None:
    teams: InMemoryRepository[Team, int] = InMemoryRepository(Team)
    given = await teams.create({"id": 10, "name": "Ten"})
    following = await teams.create({"name": "Next"})
    assert (given.id, following.id) == (10, 11)


async def test_a_custom_projection_loader_gets_the_memory_repository() -> None:
    players: InMemoryRepository[Player, int] = InMemoryRepository(Player)
    teams: InMemoryRepository[Team, int] = InMemoryRepository(Team, relations=[players])
    await teams.create({"name": "Reds", "rank": 4})
    team = await teams.get_by_id(1, profile="stats")
    assert team is not None
    assert team.doubled == 8
    assert team.members is msgspec.UNSET
    assert DOUBLER.seen[-1] is teams
