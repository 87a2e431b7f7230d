"""Classes the container tests build; module level so postponed annotations resolve."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

T = TypeVar("T")


class HttpClient:
    pass


@dataclass
class PaymentGateway:
    http: HttpClient


@dataclass
class OrderService:
    payments: PaymentGateway


class Clock(Protocol):
    def now(self) -> int: ...


class FixedClock:
    def now(self) -> int:
        return 42


@dataclass
class Greeter:
    clock: Clock
    greeting: str = "hello"
    retries: int = 3


class Repo(Generic[T]):
    def __init__(self, name: str) -> None:
        self.name = name


class Product:
    pass


class User:
    pass


@dataclass
class CycleA:
    b: CycleB


@dataclass
class CycleB:
    a: CycleA


@dataclass
class Session:
    """A closable, per-request object; records the order things are closed in."""

    log: list[str] = field(default_factory=list)
    closed: bool = False

    async def aclose(self) -> None:
        self.closed = True
        self.log.append("session")


@dataclass
class UsesSession:
    session: Session


@dataclass
class Wrapper:
    inner: UsesSession


class Engine:
    def __init__(self, log: list[str]) -> None:
        self.log = log

    def close(self) -> None:
        self.log.append("engine")


class Pool:
    def __init__(self, engine: Engine, log: list[str]) -> None:
        self.engine = engine
        self.log = log

    async def aclose(self) -> None:
        self.log.append("pool")


class Unannotated:
    def __init__(self, thing) -> None:  # type: ignore[no-untyped-def]  # the case under test
        self.thing = thing
