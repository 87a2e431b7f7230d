"""Readiness checks: the database must answer; anything else may only degrade the answer.

``/ready`` runs every check. A critical check that is down makes the application not ready
(503); a non-critical one (the cache) is reported in the body as ``degraded`` or ``down`` while
the answer stays 200. Imports msgspec, the standard library and ``loom.core`` only.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

import msgspec

logger = logging.getLogger("loom.rest")

Status = Literal["ok", "degraded", "down"]


class CheckResult(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """The answer of one check.

    Attributes:
        status: ``ok``, ``degraded`` (working, with less: a cache skipped) or ``down``.
        detail: What is wrong, when something is.
    """

    status: Status
    detail: str | None = None


ReadinessCheck = Callable[[], Awaitable[Any]]
"""An async callable answering a :class:`CheckResult`, a bool (ok or down) or a status text."""


@dataclass(frozen=True, slots=True)
class _Registered:
    name: str
    check: ReadinessCheck
    critical: bool


class ReadinessReport(msgspec.Struct, frozen=True, kw_only=True):
    """The body of ``/ready``.

    Attributes:
        status: ``ok`` when every critical check is up (``degraded`` when another is not).
        checks: Each check's answer, by name.
    """

    status: Status
    checks: dict[str, CheckResult]

    @property
    def ready(self) -> bool:
        """Whether every critical check answered."""
        return self.status != "down"


class Readiness:
    """The readiness checks of one application.

    Args:
        timeout: Seconds a check may take before it counts as down.
    """

    def __init__(self, timeout: float = 5.0) -> None:
        self.timeout = timeout
        self._checks: list[_Registered] = []

    def add(self, name: str, check: ReadinessCheck, *, critical: bool = False) -> None:
        """Register a check; ``critical`` ones decide readiness, others only degrade it."""
        self._checks = [c for c in self._checks if c.name != name]
        self._checks.append(_Registered(name, check, critical))

    def names(self) -> tuple[str, ...]:
        """The registered check names, in order."""
        return tuple(c.name for c in self._checks)

    async def run(self) -> ReadinessReport:
        """Run every check (concurrently) and summarize."""
        answers = await asyncio.gather(*(self._one(c) for c in self._checks))
        # A check answering None has nothing to report (a cache that is not configured).
        checks = {
            c.name: answer
            for c, answer in zip(self._checks, answers, strict=True)
            if answer is not None
        }
        status: Status = "ok"
        for registered in self._checks:
            answer = checks.get(registered.name)
            if answer is None:
                continue
            if answer.status == "down" and registered.critical:
                status = "down"
            elif answer.status != "ok" and status == "ok":
                status = "degraded"
        return ReadinessReport(status=status, checks=checks)

    async def _one(self, registered: _Registered) -> CheckResult | None:
        try:
            async with asyncio.timeout(self.timeout):
                answer = await registered.check()
        except TimeoutError:
            return CheckResult(status="down", detail=f"no answer within {self.timeout:g}s")
        except Exception as exc:
            logger.warning("readiness check %r failed: %r", registered.name, exc)
            return CheckResult(status="down", detail=f"{type(exc).__name__}: {exc}")
        return _as_result(answer)


def _as_result(answer: Any) -> CheckResult | None:
    if answer is None or isinstance(answer, CheckResult):
        return answer
    if isinstance(answer, bool):
        return CheckResult(status="ok" if answer else "down")
    if answer in ("ok", "degraded", "down"):
        return CheckResult(status=answer)
    return CheckResult(status="down", detail=f"unexpected check answer {answer!r}")


def status_hook(source: Any) -> ReadinessCheck | None:
    """Adapt an object's optional ``cache_status`` hook into a readiness check.

    The kernel may expose ``cache_status()`` (sync or async) answering a bool, a status text
    or a :class:`CheckResult`; this returns a check for it, or ``None`` when it has none.
    """
    hook = getattr(source, "cache_status", None)
    if not callable(hook):
        return None

    async def check() -> Any:
        answer = hook()
        if inspect.isawaitable(answer):
            answer = await answer
        return answer

    return check
