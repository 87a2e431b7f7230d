"""``JobsExtension``: the kernel extension that wires jobs, the outbox and the in-process relay.

At boot it adds the outbox tables to the application's metadata (the kernel's persistence
provides the storage, so this module imports no database library), registers
:class:`JobService` and :class:`~loom.core.outbox.Outbox` in the container, and, once the
database is open, starts the relay when ``outbox.enabled`` is true. A post-commit hook wakes the
relay after every commit that wrote outbox rows. A ``jobs.backend`` other than ``inline`` is the
name of the extension that provides it (``celery``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from loom.core.errors import BootError
from loom.core.extension import Extension
from loom.core.job._backend import InlineJobBackend, JobPublisher
from loom.core.job._message import JOB_TOPIC
from loom.core.job._ports import JobBackend
from loom.core.job._runner import JobRunner
from loom.core.job.service import JobService
from loom.core.outbox import (
    Backoff,
    EventBus,
    Outbox,
    OutboxRelay,
    RelaySettings,
    RelayWaker,
    TopicRouter,
)

if TYPE_CHECKING:
    from loom.core.bootstrap import Kernel


class JobsExtension(Extension):
    """Jobs and the outbox for one kernel (the ``jobs`` extension).

    Attributes:
        service: The job service (after boot).
        runner: Runs jobs and callbacks through the kernel (after boot).
        relay: The relay of this process (after boot; running when ``outbox.enabled``).
        backend: Where the relay sends jobs (after boot); closed at stop if it has ``aclose``.
        events: In-process subscribers of integration events.
    """

    name = "jobs"
    after = ("cache",)  # stops before the cache: the relay's last round may read through it

    def __init__(self) -> None:
        self.service: JobService | None = None
        self.runner: JobRunner | None = None
        self.relay: OutboxRelay | None = None
        self.backend: JobBackend | None = None
        self.events = EventBus()

    async def on_boot(self, kernel: Kernel) -> None:
        """Create the storage, the service, the backend and the relay; register them."""
        store, ledger = kernel.persistence.outbox_storage()
        outbox_config = kernel.config.outbox
        runner = JobRunner(
            kernel,
            ledger,
            dead_letters=store,
            outage=Backoff.for_outages(outbox_config.backoff_base, outbox_config.backoff_max),
        )
        for job in kernel.components.jobs:
            runner.plan(job)  # a job whose markers are wrong fails the boot
        outbox = Outbox(store)
        service = JobService(kernel, outbox, runner, default_queue=kernel.config.jobs.default_queue)
        backend = self._backend(kernel, runner)
        relay = OutboxRelay(
            store,
            TopicRouter({JOB_TOPIC: JobPublisher(backend)}, default=self.events),
            RelaySettings(
                batch_size=outbox_config.batch_size,
                poll_interval=outbox_config.poll_interval,
                max_attempts=outbox_config.max_attempts,
                backoff_base=outbox_config.backoff_base,
                backoff_max=outbox_config.backoff_max,
                lease=outbox_config.lease,
                retention=outbox_config.retention,
                concurrency=outbox_config.concurrency,
            ),
        )
        kernel.persistence.add_post_commit_hook(RelayWaker(relay))
        container = kernel.container
        container.register(JobService, instance=service)
        container.register(Outbox, instance=outbox)
        container.register(JobBackend, instance=backend)
        self.service, self.runner, self.relay = service, runner, relay
        self.backend = backend

    def _backend(self, kernel: Kernel, runner: JobRunner) -> JobBackend:
        name = kernel.config.jobs.backend
        if name == "inline":
            return InlineJobBackend(runner)
        provider: Any = kernel.extensions.require(name, f"jobs.backend is {name!r}")
        make = getattr(provider, "job_backend", None)
        if make is None:
            raise BootError(
                f"jobs.backend is {name!r}, but the {name!r} extension provides no job backend "
                "(a job_backend(kernel, runner) method); set jobs.backend: inline"
            )
        return make(kernel, runner)  # type: ignore[no-any-return]

    async def on_started(self, kernel: Kernel) -> None:
        """Start the relay (tables exist now) when ``outbox.enabled`` is true."""
        if self.relay is not None and kernel.config.outbox.enabled:
            await self.relay.start()

    async def on_stop(self, kernel: Kernel) -> None:
        """Stop the relay, letting its current round finish."""
        if self.relay is not None:
            await self.relay.stop()
        # After the relay: its last round may still publish. Brokers' backends hold connections.
        aclose = getattr(self.backend, "aclose", None)
        if aclose is not None:
            await aclose()

    async def drain(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109 (documented API)
        """Wait until the outbox is empty and the inline jobs it started have finished."""
        if self.relay is not None:
            await self.relay.drain(timeout)
