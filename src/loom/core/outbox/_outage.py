"""Telling an outage from a failure, and logging an outage once instead of on every retry.

An outage (the database, the cache or the broker does not answer) is never a job's or a
message's own failure: the relay and the job runner wait it out with backoff and try again,
without spending the retry budget of the job or of the message. Imports only the standard
library and ``loom.core``.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from loom.core.errors import LoomError, UnavailableError

OUTAGE_BACKOFF_MAX = 30.0
"""Longest wait, in seconds, between two tries while a dependency does not answer.

Shorter than ``outbox.backoff_max`` (which paces messages that fail for their own reasons) so
that work resumes within half a minute of the dependency coming back.
"""


def backoff_delay(
    failures: int, base: float, ceiling: float, rng: Callable[[], float] = random.random
) -> float:
    """Seconds to wait after ``failures`` failed tries: exponential, capped, jittered.

    The jitter keeps half the delay and randomizes the other half, so that work that failed
    together (a broker outage) does not all come back at the same instant.
    """
    delay: float = min(ceiling, base * 2.0 ** max(0, failures - 1))
    return delay / 2 + rng() * delay / 2


@dataclass(frozen=True, slots=True)
class Backoff:
    """How long to wait between tries while a dependency does not answer.

    Attributes:
        base: Seconds before the second try; doubled after each failed one.
        ceiling: Longest wait, in seconds.
    """

    base: float = 1.0
    ceiling: float = OUTAGE_BACKOFF_MAX

    @classmethod
    def for_outages(cls, base: float, backoff_max: float) -> Backoff:
        """The outage backoff of a relay configured with ``base`` and ``backoff_max``.

        At least 10 ms between tries (a zero ``base`` must not spin on a refused connect), at
        most :data:`OUTAGE_BACKOFF_MAX` seconds.
        """
        base = max(base, 0.01)
        return cls(base=base, ceiling=max(base, min(backoff_max, OUTAGE_BACKOFF_MAX)))

    def delay(self, failures: int, rng: Callable[[], float] = random.random) -> float:
        """Seconds to wait after ``failures`` failed tries in a row."""
        return backoff_delay(failures, self.base, self.ceiling, rng)


def is_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` says a dependency does not answer (rather than that the work is wrong).

    True for an :class:`~loom.core.errors.UnavailableError`, or an exception raised ``from``
    one. Two more cases are recognized while the database adapter does not yet translate every
    connection failure into ``UnavailableError``: a raw ``OSError`` (``ConnectionError``,
    ``TimeoutError``: a refused or timed-out connect) and a driver error whose connection was
    invalidated by the failure (SQLAlchemy's ``connection_invalidated``, read by name because
    the core does not import SQLAlchemy).
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, UnavailableError | OSError):
            return True
        if getattr(current, "connection_invalidated", False) is True:
            return True
        current = current.__cause__
    return False


def describe(exc: BaseException) -> str:
    """``"Type: message"``: how errors are written to the outbox's ``last_error``."""
    return f"{type(exc).__name__}: {exc}"


class OutageLog:
    """One warning when an outage starts, one line when it ends, nothing loud in between.

    Args:
        logger: Where to log.
        what: Who is waiting (``"outbox relay host:1a2b3c4d"``), the start of every line.
        advice: What happens meanwhile, appended to the first warning.
    """

    def __init__(self, logger: logging.Logger, what: str, advice: str) -> None:
        self.logger = logger
        self.what = what
        self.advice = advice
        self.failures = 0
        self._kind: tuple[type[BaseException], str | None] | None = None
        self._since = 0.0

    @property
    def ongoing(self) -> bool:
        """Whether the last try failed."""
        return self.failures > 0

    def failed(self, exc: BaseException) -> int:
        """Count a failed try; log it when it starts an outage or changes its cause.

        An unexpected error (neither an outage nor a :class:`~loom.core.errors.LoomError` whose
        message says what to do) is logged with its traceback, once per outage.

        Returns:
            Failed tries in a row, this one included (for the backoff).
        """
        kind = (type(exc), getattr(exc, "code", None))
        if self.failures == 0:
            self._since = time.monotonic()
        if self.failures == 0 or kind != self._kind:
            self._kind = kind
            if is_unavailable(exc) or isinstance(exc, LoomError):
                self.logger.warning("%s is waiting: %s; %s", self.what, exc, self.advice)
            else:
                self.logger.error("%s failed: %r; %s", self.what, exc, self.advice, exc_info=exc)
        else:
            self.logger.debug("%s is still waiting: %s", self.what, exc)
        self.failures += 1
        return self.failures

    def recovered(self) -> None:
        """Log the end of an outage (nothing when there was none)."""
        if self.failures == 0:
            return
        self.logger.info(
            "%s resumed after %d failed tr%s over %.1fs",
            self.what,
            self.failures,
            "y" if self.failures == 1 else "ies",
            time.monotonic() - self._since,
        )
        self.failures = 0
        self._kind = None
