"""``MutationEvent`` and the post-commit hook protocol."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

MutationOp = Literal["created", "updated", "deleted"]


@dataclass(frozen=True, slots=True)
class MutationEvent:
    """One write a transaction made, reported to post-commit hooks after a successful commit.

    Attributes:
        entity: Normalized entity name (the model's table name, ``"products"``).
        op: ``"created"``, ``"updated"`` or ``"deleted"``.
        ids: Primary keys of the rows written.
        fields: Names of the fields written (empty when unknown or every field).
    """

    entity: str
    op: MutationOp
    ids: tuple[object, ...] = ()
    fields: tuple[str, ...] = ()


@runtime_checkable
class SupportsPostCommit(Protocol):
    """Something that reacts to the events of a committed transaction (cache, outbox relay)."""

    async def on_transaction_committed(self, events: tuple[MutationEvent, ...]) -> None:
        """Handle the events of the outermost transaction that just committed."""
