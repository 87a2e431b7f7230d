"""``Outbox``: add messages to the transaction open in this task; they are written before COMMIT.

Nothing reaches the store until the transaction commits: the messages wait in the unit of work
and one before-commit callback writes them all, in the same transaction as the business data.
A rollback drops them with everything else.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from loom.core.errors import JobError
from loom.core.events import MutationEvent
from loom.core.outbox._message import OUTBOX_ENTITY, OutboxMessage, new_message_id
from loom.core.outbox._ports import OutboxStore
from loom.core.transaction import UnitOfWork, current_unit_of_work

_encoder = msgspec.json.Encoder()


class Outbox:
    """The transactional outbox of one application.

    Args:
        store: Where messages are written.

    Example:
        >>> outbox.publish(OrderPlaced(order_id=7))  # doctest: +SKIP  (inside a use case)
    """

    def __init__(self, store: OutboxStore) -> None:
        self.store = store
        self._key = f"loom.outbox:{id(self)}"

    def enqueue(self, message: OutboxMessage, *, what: str = "publish") -> OutboxMessage:
        """Add ``message`` to the current transaction; it is written just before COMMIT.

        A message whose id is already waiting in this transaction is not added twice; the one
        waiting is returned.

        Raises:
            JobError: No transaction is open, or it is read-only.
        """
        pending = self._pending(self._unit_of_work(what))
        return pending.setdefault(message.id, message)

    def publish(
        self,
        event: msgspec.Struct | Mapping[str, Any],
        *,
        topic: str | None = None,
        ordering_key: str | None = None,
        message_id: str | None = None,
    ) -> str:
        """Publish an integration event when the current transaction commits.

        Args:
            event: A Struct or a JSON-able mapping.
            topic: Where it goes; the event's class name by default (required for mappings).
            ordering_key: Events sharing a key are delivered in order.
            message_id: A fixed id (deduplicates repeated publishing); a fresh one otherwise.

        Returns:
            The message id consumers see.

        Raises:
            JobError: Outside a write transaction, or a mapping without a topic.
        """
        if topic is None:
            if not isinstance(event, msgspec.Struct):
                raise JobError(
                    "outbox.publish(mapping) needs topic=...; name where the event goes, e.g. "
                    "topic='orders.placed'"
                )
            topic = type(event).__name__
        message = OutboxMessage(
            id=message_id or new_message_id(),
            topic=topic,
            body=_encoder.encode(event),
            ordering_key=ordering_key,
        )
        return self.enqueue(message).id

    def _unit_of_work(self, what: str) -> UnitOfWork:
        uow = current_unit_of_work()
        if uow is None:
            raise JobError(
                f"{what} outside a transaction: the outbox writes in the caller's transaction; "
                "call it from a use case (or inside `async with kernel.transaction():`), or use "
                "`await job_service.dispatch_now(...)` to open one",
                code="no_transaction",
            )
        if uow.read_only:
            raise JobError(
                f"{what} inside a read-only transaction: a use case that dispatches jobs or "
                "publishes events writes the outbox; remove `read_only = True` from it",
                code="read_only_transaction",
            )
        return uow

    def _pending(self, uow: UnitOfWork) -> dict[str, OutboxMessage]:
        pending: dict[str, OutboxMessage] | None = uow.items.get(self._key)
        if pending is None:
            pending = {}
            uow.items[self._key] = pending
            uow.before_commit.append(self._writer(pending))
        return pending

    def _writer(self, pending: dict[str, OutboxMessage]) -> Any:
        async def write(uow: UnitOfWork) -> None:
            if not pending:
                return
            await self.store.add(list(pending.values()))
            # Recorded so that the post-commit channel runs and wakes the relay at once.
            uow.record(MutationEvent(entity=OUTBOX_ENTITY, op="created"))

        return write
