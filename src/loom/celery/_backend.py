"""``CeleryJobBackend``: the relay's job backend that publishes jobs as Celery tasks.

A publish returns only once the broker confirmed the message (publisher confirms on AMQP), so
the relay marks an outbox row sent only when the job is safe in the broker. Publishing uses one
broker connection on one thread of its own: kombu connections are not thread-safe, and the event
loop must not block on the network. A failed publish drops the connection and raises at once
(no retry loop inside kombu); the outbox keeps the row and retries it with backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import msgspec
from celery import Celery

from loom.celery._settings import TASK_PREFIX, make_celery, queue_for
from loom.core.errors import JobError
from loom.core.job import JobMessage, JobRunner

if TYPE_CHECKING:
    from loom.core.bootstrap import Kernel

logger = logging.getLogger("loom.celery")

UNREACHABLE_PAUSE = 1.0
"""Seconds after a failed connect during which publishes fail without trying again."""


def task_name_of(message: JobMessage) -> str:
    """The task name of a message's job (``"module:Qual"`` -> ``loom.job.module.Qual``)."""
    return TASK_PREFIX + message.job.replace(":", ".")


class CeleryJobBackend:
    """Publishes jobs to a Celery broker; in ``task_always_eager`` mode runs them here instead.

    Args:
        app: The Celery application (its broker settings and ``task_routes``).
        runner: Runs jobs in eager mode (tests), as the inline backend does.
    """

    def __init__(self, app: Celery, runner: JobRunner) -> None:
        self.app = app
        self.runner = runner
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="loom-celery")
        self._connection: Any = None  # used from the executor's thread only
        self._unreachable_until = 0.0

    async def publish(self, message: JobMessage) -> None:
        """Send ``message`` as a task and wait for the broker's confirmation.

        Raises:
            Exception: The broker is unreachable or refused the message (kombu's error).
        """
        if self.app.conf.task_always_eager:
            await self.runner.deliver(message)
            return
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._send, message)

    def _send(self, message: JobMessage) -> None:
        name = task_name_of(message)
        queue = queue_for(self.app, name, message.queue)
        reused = self._connection is not None
        try:
            self._send_on(self._connect(), name, queue, message)
        except Exception:
            self._drop()
            if not reused:
                raise
            # A kept connection may have died while idle (broker restart, proxy timeout): one
            # more try on a fresh one before the row waits out a backoff.
            try:
                self._send_on(self._connect(), name, queue, message)
            except Exception:
                self._drop()
                raise

    def _send_on(self, connection: Any, name: str, queue: str, message: JobMessage) -> None:
        producer = self.app.amqp.Producer(connection)
        self.app.send_task(
            name,
            args=(msgspec.to_builtins(message),),
            task_id=message.job_id,  # redelivered and republished copies keep the job's id
            queue=queue,
            producer=producer,
            retry=False,  # fail now; the outbox retries with backoff and keeps the row
            priority=self._priority(message),
        )

    def _priority(self, message: JobMessage) -> int | None:
        """``__priority__`` (or ``jobs.<Name>.priority``) of the message's job class."""
        try:
            job = self.runner.registry.resolve(message.job)
        except JobError:
            return None  # the worker reports the unknown class; the message still goes out
        return self.runner.settings.priority(job)

    def _connect(self) -> Any:
        if self._connection is not None:
            return self._connection
        if time.monotonic() < self._unreachable_until:
            # A batch of a hundred rows must not pay a connect timeout each while the broker
            # is down: they fail at once and the outbox retries them with backoff.
            raise ConnectionError(
                "the Celery broker was unreachable less than a second ago; the job stays in the "
                "outbox and is published again later"
            )
        connection = self.app.connection_for_write()
        try:
            # One attempt, bounded by the connect timeout (kombu's connect() retries once).
            connection.ensure_connection(max_retries=0)
        except Exception:
            self._unreachable_until = time.monotonic() + UNREACHABLE_PAUSE
            with contextlib.suppress(Exception):
                connection.release()
            raise
        self._connection = connection
        return connection

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.release()

    async def aclose(self) -> None:
        """Close the broker connection and the publishing thread."""
        loop = asyncio.get_running_loop()
        with contextlib.suppress(RuntimeError):  # executor already shut down
            await loop.run_in_executor(self._executor, self._drop)
        self._executor.shutdown(wait=False)


def job_backend(kernel: Kernel, runner: JobRunner) -> CeleryJobBackend:
    """The Celery job backend of ``kernel`` (called by the kernel when ``jobs.backend: celery``).

    A worker built by :func:`loom.celery.create_app` registers its Celery application in the
    kernel's container first, so jobs dispatched by jobs go through the worker's own app;
    elsewhere the application is built from ``config.celery`` and registered, so jobs and
    callbacks can ask for ``celery.Celery`` by type.
    """
    container = kernel.container
    if container.is_registered(Celery):
        app: Celery = container.resolve(Celery)
    else:
        app = make_celery(kernel.config)
        container.register(Celery, instance=app)
    return CeleryJobBackend(app, runner)
