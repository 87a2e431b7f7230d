"""A small application written as loom-kernel 9 writes one, for the compatibility tests."""

# Markers are immutable records read at boot, like FastAPI's Depends(); B008 does not know them.

from __future__ import annotations

from typing import Any, Protocol

import msgspec

from loom.core.command import Command, Patch
from loom.core.errors import (
    DomainError,
    Forbidden,
    NotFound,
    RateLimited,
    RuleViolation,
    Unauthenticated,
)
from loom.core.job.job import Job
from loom.core.job.service import JobService
from loom.core.model import BaseModel, ColumnField, String
from loom.core.repository import repository_for
from loom.core.repository.abc import RepoFor
from loom.core.repository.sqlalchemy import RepositorySQLAlchemy
from loom.core.use_case import Exists, F, Input, LoadById, Rule
from loom.core.use_case.use_case import UseCase
from loom.rest.autocrud import build_auto_routes
from loom.rest.model import RestInterface, RestRoute


class Gadget(BaseModel):
    __tablename__ = "gadgets"

    id: int = ColumnField(primary_key=True, autoincrement=True)
    name: str = ColumnField(String(60))
    label: str | None = ColumnField(String(60), nullable=True)
    stock: int = 0


class Failure(BaseModel):
    __tablename__ = "gadget_failures"

    id: int = ColumnField(primary_key=True, autoincrement=True)
    job_id: str = ColumnField(String(64))
    exc_type: str = ColumnField(String(120))
    exc_msg: str = ColumnField(String(255))
    gadget_id: int


class GadgetRepo(RepoFor[Gadget], Protocol):
    async def by_name(self, name: str) -> Gadget | None: ...


@repository_for(Gadget)
class GadgetRepository(RepositorySQLAlchemy[Gadget, int], GadgetRepo):
    async def by_name(self, name: str) -> Gadget | None:
        return await self.get_by("name", name)


class EditGadget(Command, frozen=True):
    name: Patch[str] = None
    label: Patch[str] = None
    stock: Patch[int] = None


def _stock_cleared(cmd: EditGadget, fields_set: frozenset[str]) -> bool:
    return "stock" in fields_set and cmd.stock is None


class EditGadgetUseCase(UseCase[Gadget, Gadget]):
    rules = (
        Rule.forbid(_stock_cleared, message="stock cannot be cleared"),
        Rule.forbid(
            lambda cmd, fields_set, gadget: cmd.name is not None and gadget.stock < 0,
            message="a gadget owing stock keeps its name",
        ).from_params("gadget"),
        Rule.require_present(F(EditGadget).name).when_present(F(EditGadget).label),
    )

    async def execute(
        self,
        gadget_id: int,
        cmd: EditGadget = Input(),
        gadget: Gadget = LoadById(Gadget, by="gadget_id"),
    ) -> Gadget:
        # Code written for loom-kernel reads an unsent Patch field as None.
        if cmd.label is not None and cmd.label.startswith("!"):
            raise RuleViolation("label", "must not start with '!'")
        updated = await self.main_repo.update(gadget_id, cmd)
        assert updated is not None
        return updated


class GadgetStatus(msgspec.Struct):
    known: bool
    named: bool


class GadgetStatusUseCase(UseCase[Gadget, GadgetStatus, GadgetRepo]):
    read_only = True

    async def execute(
        self, gadget_id: int, known: bool = Exists(Gadget, from_param="gadget_id", against="id")
    ) -> GadgetStatus:
        named = await self.main_repo.by_name("Lamp") is not None
        return GadgetStatus(known=known, named=named)


class RefuseUseCase(UseCase[Gadget, None]):
    read_only = True

    async def execute(self, kind: str) -> None:
        errors: dict[str, Exception] = {
            "missing": NotFound("Gadget", id=kind),
            "rule": RuleViolation("name", "taken"),
            "login": Unauthenticated(),
            "forbidden": Forbidden("no", reason="mfa_required"),
            "slow": RateLimited(retry_after=2.5),
            "conflict": DomainError("already there", code="conflict"),
        }
        raise errors[kind]


class BreakGadgetJob(Job[None]):
    __queue__ = "gadgets"

    async def execute(self, gadget_id: int) -> None:
        raise RuntimeError(f"gadget {gadget_id} broke")


class RecordFailure:
    """A failure callback spelled as loom-kernel 9 spells it."""

    def __init__(self, failures: RepoFor[Failure]) -> None:
        self._failures = failures

    async def on_failure(self, job_id: str, exc_type: str, exc_msg: str, **context: Any) -> None:
        await self._failures.create(
            {
                "job_id": job_id,
                "exc_type": exc_type,
                "exc_msg": exc_msg,
                "gadget_id": context["gadget_id"],
            }
        )


class BreakGadgetResult(msgspec.Struct):
    job_id: str
    queue: str


class BreakGadgetUseCase(UseCase[Gadget, BreakGadgetResult]):
    def __init__(self, jobs: JobService) -> None:
        self._jobs = jobs

    async def execute(self, gadget_id: int) -> BreakGadgetResult:
        handle = self._jobs.dispatch(
            BreakGadgetJob, params={"gadget_id": gadget_id}, on_failure=RecordFailure
        )
        return BreakGadgetResult(job_id=handle.job_id, queue=handle.queue)


class GadgetInterface(RestInterface[Gadget]):
    prefix = "/gadgets"
    tags = ("Gadgets",)
    routes = (
        RestRoute(use_case=EditGadgetUseCase, method="PATCH", path="/{gadget_id}/edit"),
        RestRoute(use_case=GadgetStatusUseCase, method="GET", path="/{gadget_id}/status"),
        RestRoute(use_case=RefuseUseCase, method="GET", path="/refuse/{kind}"),
        RestRoute(use_case=BreakGadgetUseCase, method="POST", path="/{gadget_id}/break"),
        *build_auto_routes(Gadget, ("create", "get")),
    )
