"""Outage tracking for one cache backend: warn once, back off, probe, recover.

When the backend stops answering, the first failure logs a warning and opens the circuit:
callers skip the cache (reads go to the repository) until ``retry_after`` seconds have passed,
then a single call probes the backend again. A success closes the circuit and logs the recovery.

Imports the standard library only.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from loom.core.cache._backend import CacheStats

logger = logging.getLogger("loom.cache")

_CONNECTION_ERROR_NAMES = frozenset({"ConnectionError", "TimeoutError", "BusyLoadingError"})


def is_connection_error(exc: BaseException) -> bool:
    """Whether ``exc`` means the backend cannot be reached (rather than a refused command).

    Redis client errors are recognised by class name so the core never imports ``redis``.
    """
    if isinstance(exc, OSError | TimeoutError | asyncio.TimeoutError):
        return True
    return any(cls.__name__ in _CONNECTION_ERROR_NAMES for cls in type(exc).__mro__)


class Health:
    """Circuit breaker of one backend.

    Args:
        name: The backend's name in log messages (its alias).
        stats: Where failures are counted.
        retry_after: Seconds between probes while the backend is down.
        clock: Monotonic clock (injectable for tests).
    """

    def __init__(
        self,
        name: str,
        stats: CacheStats,
        *,
        retry_after: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.stats = stats
        self.retry_after = retry_after
        self.clock = clock
        """The monotonic clock of the probe schedule."""
        self._down = False
        self._retry_at = 0.0

    @property
    def down(self) -> bool:
        """Whether the last contact with the backend failed."""
        return self._down

    def allow(self) -> bool:
        """Whether a call may go to the backend now.

        While down, one call is let through every ``retry_after`` seconds as a probe; the
        others skip the cache instead of each waiting for a timeout.
        """
        if not self._down:
            return True
        now = self.clock()
        if now < self._retry_at:
            return False
        self._retry_at = now + self.retry_after
        return True

    def succeeded(self) -> None:
        """Record an answer from the backend (closing the circuit if it was open)."""
        if self._down:
            self._down = False
            logger.warning("cache backend %r answers again; reads use the cache again", self.name)

    def failed(self, exc: BaseException, operation: str) -> None:
        """Record a failed call.

        Args:
            exc: What the client raised.
            operation: What was attempted, for the log message.
        """
        self.stats.errors += 1
        if not is_connection_error(exc):
            # The server answered but refused (wrong type, out of memory): not an outage.
            logger.warning(
                "cache backend %r failed on %s: %r; the cache is skipped for this call",
                self.name,
                operation,
                exc,
            )
            return
        self._retry_at = self.clock() + self.retry_after
        if not self._down:
            self._down = True
            logger.warning(
                "cache backend %r is unreachable (%s: %s) during %s; reads and writes go to "
                "the repository until it answers, probing every %.1fs; check the server and "
                "the endpoint in the cache config",
                self.name,
                type(exc).__name__,
                exc,
                operation,
                self.retry_after,
            )
