"""What fault tests break instead of the shared servers: a 127.0.0.1 TCP proxy and private
``redis-server`` processes.

The proxy runs its own event loop on a thread, so it keeps forwarding (or keeps refusing)
whatever the test's own loop is doing: awaiting a request, waiting on a subprocess, or
blocked in a synchronous client. Its methods are synchronous and safe to call from a test's
event loop; each returns once the proxy is in the new state.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import threading
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager, suppress
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.conftest import IN_CI


def spare_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def through(url: str, port: int) -> str:
    """``url`` with its host and port replaced by the proxy's (``127.0.0.1:port``)."""
    parts = urlsplit(url)
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = f"{userinfo}@127.0.0.1:{port}" if userinfo else f"127.0.0.1:{port}"
    return urlunsplit(parts._replace(netloc=netloc))


class TcpProxy:
    """Forwards ``127.0.0.1:<port>`` to a target server.

    - :meth:`cut` aborts every connection and refuses new ones (a server that went away);
    - :meth:`freeze` keeps connections open and accepts new ones but forwards nothing in
      either direction (a server that hangs);
    - :meth:`restore` undoes either, on the same port.

    Use it as a context manager (``with TcpProxy(host, port) as proxy: ...``) or call
    :meth:`start` and :meth:`close`.
    """

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._flowing = asyncio.Event()
        self.connections = 0
        """Connections accepted since start (a test can check its client went through)."""

    @classmethod
    def for_url(cls, url: str, default_port: int) -> TcpProxy:
        """A proxy in front of the server of ``url`` (not started)."""
        parts = urlsplit(url.replace("+asyncpg", "").replace("+psycopg", ""))
        return cls(parts.hostname or "127.0.0.1", parts.port or default_port)

    def _call(self, coro: Coroutine[Any, Any, None]) -> None:
        asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=10)

    def start(self) -> TcpProxy:
        """Start forwarding (on a free port the first time)."""
        if not self._thread.is_alive():
            self._thread.start()
        self._call(self._listen())
        return self

    def __enter__(self) -> TcpProxy:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    async def _listen(self) -> None:
        self._flowing.set()
        if self._server is None:
            self._server = await asyncio.start_server(
                self._accept, "127.0.0.1", self.port, reuse_address=True
            )
            self.port = self._server.sockets[0].getsockname()[1]

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._writers |= {writer, up_writer}
        for source, sink in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(self._pump(source, sink))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pump(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        with suppress(ConnectionError, OSError, RuntimeError, asyncio.CancelledError):
            while data := await source.read(65536):
                await self._flowing.wait()
                sink.write(data)
                await sink.drain()
        sink.transport.abort()
        self._writers.discard(sink)

    async def _cut(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._flowing.set()

    async def _freeze(self) -> None:
        self._flowing.clear()

    def cut(self) -> None:
        """Abort every connection and stop listening (new connections are refused)."""
        self._call(self._cut())

    def freeze(self) -> None:
        """Forward nothing: connections stay open and new ones are accepted, then hang."""
        self._call(self._freeze())

    def restore(self) -> None:
        """Forward again (after :meth:`freeze`), or listen again on the same port (after
        :meth:`cut`)."""
        self._call(self._listen())

    def close(self) -> None:
        """Cut everything and stop the proxy's thread."""
        if self._thread.is_alive():
            self._call(self._cut())
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
        self._loop.close()


class PrivateRedis:
    """A throw-away ``redis-server`` without persistence on a spare port."""

    def __init__(self) -> None:
        self.port = spare_port()
        self._process: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            message = (
                "redis-server is not installed; install Debian's redis-server package "
                "(the Redis outage tests start a private server)"
            )
            if IN_CI:
                pytest.fail(message)
            pytest.skip(message)
        command = [binary, "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no"]  # no persistence: a restart loses all
        self._process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert self._process.stdout is not None
        # Wait for the server's own readiness line rather than polling or sleeping.
        for line in self._process.stdout:
            if "Ready to accept connections" in line:
                return
        raise AssertionError(f"redis-server on port {self.port} did not start")

    def kill(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            if self._process.stdout is not None:
                self._process.stdout.close()
            self._process = None


@contextmanager
def private_redis() -> Iterator[PrivateRedis]:
    """A private ``redis-server``, killed on exit."""
    server = PrivateRedis()
    server.start()
    try:
        yield server
    finally:
        server.kill()
