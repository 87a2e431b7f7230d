"""RabbitMQ helpers for the Celery tests: queue inspection, cleanup, and a TCP proxy to cut."""

from __future__ import annotations

import asyncio
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


class TcpProxy:
    """A 127.0.0.1 TCP proxy in front of a server, that a test cuts and restores.

    Cutting closes the listening socket and aborts every open connection, as a broker outage
    does; restoring listens again on the same port.
    """

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Listen (on a free port the first time, then on the same one)."""
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        """Stop listening and abort every connection."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def close(self) -> None:
        """Cut, and end the forwarding tasks."""
        await self.cut()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(BaseException):
                await task

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._writers.update((writer, up_writer))
        for source, sink in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(self._pipe(source, sink))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pipe(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        try:
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()
        except (ConnectionError, asyncio.CancelledError, RuntimeError):
            pass
        finally:
            sink.transport.abort()
            self._writers.discard(sink)
