"""Routing outbox messages by topic, and the in-process event bus for integration events."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import msgspec

from loom.core.outbox._message import OutboxMessage
from loom.core.outbox._ports import Publisher

EventHandler = Callable[[str, Any], Awaitable[None]]
"""``async handler(message_id, event)``; ``event`` is the decoded JSON body."""


class TopicRouter:
    """A publisher that hands each message to the publisher of its topic.

    Args:
        routes: Publisher per exact topic (``"loom.job"`` -> the job backend).
        default: Publisher of every other topic (integration events).
    """

    def __init__(self, routes: Mapping[str, Publisher], default: Publisher) -> None:
        self.routes = dict(routes)
        self.default = default

    async def publish(self, message: OutboxMessage) -> None:
        """Publish through the topic's publisher."""
        await self.routes.get(message.topic, self.default).publish(message)


class EventBus:
    """In-process subscribers of integration events (the embedded default).

    A handler that raises makes the delivery fail: the relay retries the message with backoff,
    so handlers must tolerate seeing a message id twice.
    """

    def __init__(self) -> None:
        self._handlers: dict[str, list[EventHandler]] = {}

    def subscribe(self, topic: str, handler: EventHandler) -> None:
        """Call ``handler`` for every event published on ``topic``."""
        self._handlers.setdefault(topic, []).append(handler)

    async def publish(self, message: OutboxMessage) -> None:
        """Call the topic's handlers in subscription order (none: the event is dropped)."""
        handlers = self._handlers.get(message.topic, ())
        if not handlers:
            return
        event = msgspec.json.decode(message.body)
        for handler in handlers:
            await handler(message.id, event)
