"""RabbitMQ helpers for the Celery tests: queue inspection, cleanup, and a TCP proxy to cut."""

from __future__ import annotations

import contextlib
from typing import Any

from kombu.connection import Connection as _Connection

# kombu ships no type information for its constructors.
Connection: Any = _Connection


def consumer_count(url: str, queue: str) -> int:
    """Consumers of ``queue`` (0 while it does not exist yet)."""
    with Connection(url, connect_timeout=2) as conn:
        channel = conn.channel()
        try:
            return int(channel.queue_declare(queue=queue, passive=True).consumer_count)
        except Exception:  # the queue is not declared yet
            return 0
        finally:
            with contextlib.suppress(Exception):
                channel.close()


def take_messages(url: str, queue: str) -> list[Any]:
    """Remove and return every message waiting in ``queue`` (raw AMQP messages)."""
    taken: list[Any] = []
    with Connection(url, connect_timeout=2) as conn:
        channel = conn.channel()
        while (message := channel.basic_get(queue=queue, no_ack=True)) is not None:
            taken.append(message)
        channel.close()
    return taken


def delete_queues(url: str, *queues: str) -> None:
    """Delete ``queues`` and the exchanges named after them (Celery declares one per queue)."""
    with Connection(url, connect_timeout=2) as conn:
        for name in queues:
            channel = conn.channel()
            with contextlib.suppress(Exception):
                channel.queue_delete(queue=name)
                channel.exchange_delete(exchange=name)
            with contextlib.suppress(Exception):
                channel.close()
