"""The transactional outbox: messages written with the business data, relayed after commit.

:class:`Outbox` adds messages (jobs, integration events) to the transaction open in the task;
they are written just before COMMIT by the storage adapter behind :class:`OutboxStore` (the
SQLAlchemy one lives in ``loom.core.repository.sqlalchemy``). :class:`OutboxRelay` claims
committed messages, hands them to a :class:`Publisher` and retries failures with backoff.

Imports only msgspec, the standard library and ``loom.core``.

Example:
    >>> async with kernel.transaction():  # doctest: +SKIP
    ...     await orders.create(order)
    ...     outbox.publish(OrderPlaced(order_id=order.id), ordering_key=f"order:{order.id}")
"""

from loom.core.outbox._memory import MemoryOutboxStore
from loom.core.outbox._message import (
    OUTBOX_ENTITY,
    Clock,
    OutboxMessage,
    OutboxRecord,
    new_message_id,
    utc_now,
)
from loom.core.outbox._outage import (
    OUTAGE_BACKOFF_MAX,
    Backoff,
    OutageLog,
    backoff_delay,
    describe,
    is_unavailable,
)
from loom.core.outbox._outbox import Outbox
from loom.core.outbox._ports import OutboxStore, Publisher
from loom.core.outbox._relay import CrashHook, OutboxRelay, RelaySettings, RelayWaker
from loom.core.outbox._router import EventBus, EventHandler, TopicRouter

__all__ = [
    "Backoff",
    "Clock",
    "CrashHook",
    "EventBus",
    "EventHandler",
    "MemoryOutboxStore",
    "OUTAGE_BACKOFF_MAX",
    "OUTBOX_ENTITY",
    "OutageLog",
    "Outbox",
    "OutboxMessage",
    "OutboxRecord",
    "OutboxRelay",
    "OutboxStore",
    "Publisher",
    "RelaySettings",
    "RelayWaker",
    "TopicRouter",
    "backoff_delay",
    "describe",
    "is_unavailable",
    "new_message_id",
    "utc_now",
]
