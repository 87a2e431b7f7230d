"""Single-flight: concurrent misses on one key in one process load once.

Imports the standard library only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

R = TypeVar("R")


class _LeaderCancelled(Exception):
    """The task loading for everyone was cancelled; followers must load themselves."""


class SingleFlight(Generic[R]):
    """Coalesces concurrent calls with the same key into one call of the loader."""

    def __init__(self) -> None:
        self._flights: dict[Hashable, asyncio.Future[R]] = {}

    def __len__(self) -> int:
        return len(self._flights)

    async def run(self, key: Hashable, load: Callable[[], Awaitable[R]]) -> tuple[R, bool]:
        """Return the result of ``load()``, shared with concurrent callers of the same key.

        Args:
            key: What identifies equal calls (include everything the result depends on).
            load: The loader, called once per flight.

        Returns:
            ``(result, led)``: ``led`` is ``True`` for the caller whose ``load`` ran.
        """
        while (flight := self._flights.get(key)) is not None:
            try:
                # shield: a follower that is cancelled must not cancel the shared load.
                return await asyncio.shield(flight), False
            except _LeaderCancelled:
                continue
        flight = asyncio.get_running_loop().create_future()
        self._flights[key] = flight
        try:
            result = await load()
        except asyncio.CancelledError:
            flight.set_exception(_LeaderCancelled())
            flight.exception()  # retrieved: no "never retrieved" log without followers
            raise
        except BaseException as exc:
            flight.set_exception(exc)
            flight.exception()
            raise
        else:
            flight.set_result(result)
            return result, True
        finally:
            if self._flights.get(key) is flight:
                del self._flights[key]
