"""Counting the SQL statements an engine sends."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


@dataclass
class StatementCounter:
    """The statements seen, in order (transaction control excluded).

    Attributes:
        statements: SQL text of each statement.
    """

    statements: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        """How many statements ran."""
        return len(self.statements)

    def clear(self) -> None:
        """Forget what was counted so far."""
        self.statements.clear()


@contextlib.contextmanager
def count_statements(engine: AsyncEngine) -> Iterator[StatementCounter]:
    """Count the statements ``engine`` runs inside the ``with`` block.

    Example:
        >>> with count_statements(sm.engine) as counter:  # doctest: +SKIP
        ...     await repo.get_by_id(1)
        >>> counter.count  # doctest: +SKIP
        1
    """
    counter = StatementCounter()

    def listener(
        _conn: Any, _cursor: Any, statement: str, _params: Any, _ctx: Any, _many: bool
    ) -> None:
        if not statement.lstrip().upper().startswith(_CONTROL):
            counter.statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", listener)
    try:
        yield counter
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", listener)
