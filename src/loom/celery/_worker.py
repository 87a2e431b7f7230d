"""The worker side: a Celery application that boots the same kernel as the API.

:func:`create_app` reads the config, discovers the application (so every job has its task
before the worker consumes), and defers the kernel to the worker process: the kernel starts on
an event loop of its own thread when the worker starts (in each child with the prefork pool, as
database connections do not survive a fork), and Celery's task threads hand it coroutines.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Coroutine, Mapping
from pathlib import Path
from typing import Any, TypeVar

from celery import Celery, bootsteps, signals
from kombu.entity import Exchange, Queue

from loom.celery._settings import make_celery, queue_for, task_name
from loom.celery._tasks import register_job_task
from loom.core.bootstrap import Components, Kernel, discover
from loom.core.config import LoomConfig, load_config

T = TypeVar("T")

logger = logging.getLogger("loom.celery")


class WorkerKernel:
    """The kernel of one worker process, running on an event loop in a thread of its own.

    Task threads call :meth:`call`; the kernel starts on first use if the worker has not
    started it yet.

    Args:
        build: Makes the (unstarted) kernel.
    """

    def __init__(self, build: Callable[[], Kernel]) -> None:
        self._build = build
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self.kernel: Kernel | None = None
        self.for_children = False
        """Set in a prefork worker's parent: only its forked children start a kernel."""

    def start(self) -> Kernel:
        """Start the kernel (once); return it.

        Raises:
            LoomError: The kernel cannot boot (config, database, ...).
        """
        with self._lock:
            if self.kernel is not None:
                return self.kernel
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name="loom-kernel", daemon=True)
            thread.start()
            kernel = self._build()
            try:
                asyncio.run_coroutine_threadsafe(kernel.start(), loop).result()
            except BaseException:
                _close_loop(loop, thread)
                raise
            self._loop, self._thread, self.kernel = loop, thread, kernel
            return kernel

    def call(self, fn: Callable[[Kernel], Coroutine[Any, Any, T]]) -> T:
        """Run ``fn(kernel)`` on the kernel's loop and wait for its result."""
        kernel = self.start()
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(fn(kernel), self._loop).result()

    def stop(self) -> None:
        """Stop the kernel and its loop (a no-op when never started)."""
        with self._lock:
            kernel, loop, thread = self.kernel, self._loop, self._thread
            self.kernel = self._loop = self._thread = None
            if kernel is None or loop is None or thread is None:
                return
            try:
                asyncio.run_coroutine_threadsafe(kernel.stop(), loop).result(timeout=30)
            except Exception:
                logger.exception("the worker's kernel did not stop cleanly")
            finally:
                _close_loop(loop, thread)


def _close_loop(loop: asyncio.AbstractEventLoop, thread: threading.Thread) -> None:
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=10)
    if not thread.is_alive():
        loop.close()


def _kernel_step(worker: WorkerKernel) -> type[Any]:
    """A worker bootstep starting and stopping ``worker``'s kernel with the worker."""

    class LoomKernelStep(bootsteps.StartStopStep):  # type: ignore[misc]  # Celery is untyped
        label = "loom kernel"

        def __init__(self, parent: Any, **kwargs: Any) -> None:
            super().__init__(parent, **kwargs)
            pool = getattr(parent, "pool_cls", None)
            self.prefork = "prefork" in str(getattr(pool, "__module__", pool))
            # Connections and threads do not survive fork(): each child starts its own kernel.
            worker.for_children = self.prefork

        def start(self, parent: Any) -> None:
            if not self.prefork:
                worker.start()

        def stop(self, parent: Any) -> None:
            if not self.prefork:
                worker.stop()

        shutdown = stop

    return LoomKernelStep


def _connect_children(worker: WorkerKernel) -> None:
    def child_started(**_: Any) -> None:
        if worker.for_children:
            try:
                worker.start()
            except Exception as exc:
                # One line per child, not a traceback: the first task starts the kernel again.
                logger.error(
                    "the kernel of worker process did not start (%s); its first task will try "
                    "again",
                    exc,
                )

    def child_stopping(**_: Any) -> None:
        if worker.for_children:
            worker.stop()

    signals.worker_process_init.connect(child_started, weak=False)
    signals.worker_process_shutdown.connect(child_stopping, weak=False)


def _queues(app: Celery, config: LoomConfig, jobs: list[type[Any]]) -> list[Queue]:
    default = config.jobs.default_queue
    names = {default}
    for job in jobs:
        names.add(queue_for(app, task_name(job), getattr(job, "__queue__", None) or default))
    # Declared as Celery declares a queue it creates on publish, so that both sides agree.
    return [_queue(name) for name in sorted(names)]


def _queue(name: str) -> Queue:
    exchange = Exchange(name, type="direct")  # type: ignore[no-untyped-call]  # kombu untyped
    return Queue(name, exchange, routing_key=name)  # type: ignore[no-untyped-call]  # same


def create_app(config_path: str | Path, *, overrides: Mapping[str, Any] | None = None) -> Celery:
    """The Celery application of a Loom config, with one task per job of the application.

    The worker process boots the same kernel as the API (``create_kernel`` from the same file),
    so every dependency a job or callback needs resolves in the worker too. Unless
    ``celery.task_queues`` says otherwise, the worker consumes the queue of every job.

    Args:
        config_path: The application's YAML file.
        overrides: Config overrides, as for :func:`loom.core.bootstrap.create_kernel`.

    Returns:
        The Celery application; ``app.loom_worker`` is the :class:`WorkerKernel` whose kernel
        runs the tasks in this process.

    Raises:
        ConfigError: The config is invalid.
        BootError: The application's modules cannot be imported.

    Example:
        >>> app = create_app("config/api.yaml")  # doctest: +SKIP  (celery -A worker worker)
    """
    config = load_config(config_path, overrides=overrides)
    if config.jobs.backend != "celery":
        logger.warning(
            "jobs.backend is %r in %s: processes using this config run jobs themselves and send "
            "none to this worker; set jobs.backend: celery",
            config.jobs.backend,
            config_path,
        )
        config = load_config(config_path, overrides={**(overrides or {}), "jobs.backend": "celery"})
    app = make_celery(config)
    components = discover(config.app)
    worker = WorkerKernel(lambda: _worker_kernel(config, components, app))
    for job in components.jobs:
        register_job_task(app, worker.call, job)
    if "task_queues" not in config.celery:
        app.conf.task_queues = _queues(app, config, components.jobs)
        app.conf.task_default_queue = config.celery.get(
            "task_default_queue", config.jobs.default_queue
        )
    app.steps["worker"].add(_kernel_step(worker))
    _connect_children(worker)
    app.loom_worker = worker
    return app


def _worker_kernel(config: LoomConfig, components: Components, app: Celery) -> Kernel:
    kernel = Kernel(config, components)
    # Jobs dispatched by jobs leave through this worker's Celery app (see job_backend).
    kernel.container.register(Celery, instance=app)
    return kernel
