"""The kernel: one application's container, models, database, cache and compiled use cases."""

from __future__ import annotations

import contextlib
import importlib
import logging
import secrets
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from loom.core.bootstrap._cache import KernelCache
from loom.core.bootstrap._discovery import Components, discover
from loom.core.bootstrap._persistence import Persistence
from loom.core.config import LoomConfig, load_config
from loom.core.di import LoomContainer
from loom.core.errors import BootError, ConfigError, LoomError
from loom.core.job import JobsExtension
from loom.core.query import CursorCodec, QuerySpec
from loom.core.repository.abc import RepoFor, repository_keys
from loom.core.transaction import Propagation
from loom.core.use_case import UseCasePlan, compile_use_case
from loom.core.use_case.invoker import ApplicationInvoker

logger = logging.getLogger("loom.kernel")

_ADAPTER = "loom.core.repository.sqlalchemy"


class Kernel:
    """One application: built from config, started once, stopped once.

    It owns the container, the models' repositories, the session manager (through the
    persistence adapter), the cache and the compiled plans. Two kernels in one process share
    nothing. Use it as ``async with create_kernel("config/api.yaml") as kernel: ...``.

    Attributes:
        config: The typed configuration.
        container: The dependency container.
        components: The models, use cases, jobs and interfaces discovered at start.
        invoker: The :class:`ApplicationInvoker` bound to this kernel.
    """

    def __init__(self, config: LoomConfig, components: Components | None = None) -> None:
        self.config = config
        self.container = LoomContainer()
        self.components = components or Components()
        self._discover = components is None
        self.invoker = ApplicationInvoker(self)
        self.plans: dict[type[Any], UseCasePlan] = {}
        self._persistence: Persistence | None = None
        self._repositories: dict[type[Any], RepoFor[Any]] = {}
        self._extensions: list[Any] = []
        self.jobs = JobsExtension()
        """Jobs, the outbox and its relay (``JobService`` is also in the container)."""
        self._extensions.append(self.jobs)
        self.cache: KernelCache | None = None
        """The cache, when the configuration has a ``cache:`` section (set at start)."""
        self.started = False

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> Kernel:
        """Discover, compile, wire and open everything; fail with a :class:`BootError` early.

        Every use case is compiled here, so a wrong marker fails at boot, never at the first
        request.
        """
        if self.started:
            return self
        try:
            await self._boot()
        except LoomError:
            await self._close_quietly()
            raise
        self.started = True
        return self

    def discover(self) -> Components:
        """Import the application's modules and collect its components (once).

        A kernel built with explicit components keeps them.
        """
        if self._discover:
            self.components = discover(self.config.app)
            self._discover = False
        return self.components

    def cache_status(self) -> str | None:
        """``"ok"`` or ``"degraded"`` (reads go to the database) for ``/ready``; ``None``
        without a cache."""
        return str(self.cache.status()["status"]) if self.cache is not None else None

    async def _boot(self) -> None:
        components = self.discover()
        for use_case in components.use_cases:
            self.plans[use_case] = compile_use_case(use_case)
        models = self._all_models(components)
        persistence = self._make_persistence(models)
        self._persistence = persistence
        cache = self.config.cache
        if cache is not None and cache.enabled:
            self.cache = KernelCache(cache)
            self._extensions.insert(0, self.cache)
        for extension in self._extensions:
            await extension.on_boot(self)
        self._register(models)
        self.container.validate()
        await persistence.start(create_schema=self.config.database.schema == "create_all")
        # Extensions that need the tables (the outbox relay) start once the database is open.
        for extension in self._extensions:
            on_started = getattr(extension, "on_started", None)
            if on_started is not None:
                await on_started(self)

    def _all_models(self, components: Components) -> list[type[Any]]:
        models = list(components.models)
        for plan in self.plans.values():
            referenced = [plan.model, *(getattr(step, "model", None) for step in plan.steps)]
            for model in referenced:
                if model is not None and model not in models:
                    models.append(model)
        return models

    def _make_persistence(self, models: Sequence[type[Any]]) -> Persistence:
        adapter = importlib.import_module(_ADAPTER)
        trace = self.config.trace
        persistence = adapter.SQLAlchemyPersistence.from_config(
            self.config.database, models, inject_trace_id=trace.enabled and trace.database
        )
        manager = persistence.session_manager
        manager.cursor_codec = self._cursor_codec()
        manager.max_limit = self.config.rest.max_limit
        # loom-kernel 9 counts every offset page; its clients read totalCount on each one.
        manager.offset_totals = self.config.rest.compat == "loom_kernel"
        adapter.current_session_manager.set(manager)
        return persistence  # type: ignore[no-any-return]

    def _cursor_codec(self) -> CursorCodec:
        secret = self.config.security.cursor_secret
        if secret:
            return CursorCodec(secret.encode())
        logger.warning(
            "security.cursor_secret is not set: cursors are signed with a random key of this "
            "process and do not survive a restart or cross processes; set it (for example "
            "cursor_secret: ${oc.env:LOOM_CURSOR_SECRET}) in production"
        )
        return CursorCodec(secrets.token_bytes(32))

    def _register(self, models: Sequence[type[Any]]) -> None:
        container = self.container
        container.register(Kernel, instance=self)
        container.register(LoomConfig, instance=self.config)
        container.register(ApplicationInvoker, instance=self.invoker)
        # The application's modules first: a DefaultRepositoryBuilder they register is kept
        # by the persistence module, which registers the session manager and the repositories.
        container.load(*self.components.container_modules)
        container.load(self.persistence.registration_module())
        for model in models:
            repository = self.for_model(model)
            for key in repository_keys(model):
                container.register(key, instance=repository)
        # Registered so that validate() checks their constructors at boot, not at first use.
        for use_case in self.plans:
            container.register(use_case, lifetime="transient")

    async def stop(self) -> None:
        """Close what the kernel opened, newest first."""
        await self._close_quietly()
        self.started = False

    async def _close_quietly(self) -> None:
        for extension in reversed(self._extensions):
            with contextlib.suppress(Exception):
                await extension.on_stop(self)
        with contextlib.suppress(Exception):
            await self.container.close()
        if self._persistence is not None:
            await self._persistence.stop()

    async def __aenter__(self) -> Kernel:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def add_extension(self, extension: Any) -> None:
        """Attach an object with ``async on_boot(kernel)`` / ``async on_stop(kernel)``.

        An optional ``async on_started(kernel)`` runs once the database is open, and an
        optional ``async drain(timeout)`` is awaited by :meth:`drain`.
        """
        self._extensions.append(extension)

    async def drain(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109 (documented API)
        """Wait until the outbox is empty and the inline jobs it started have finished.

        For tests: dispatch, commit, ``await kernel.drain()``, then assert on the effects.

        Raises:
            JobError: Messages are still pending after ``timeout`` seconds.
        """
        for extension in self._extensions:
            drain = getattr(extension, "drain", None)
            if drain is not None:
                await drain(timeout)

    # -- use -------------------------------------------------------------------------------

    @property
    def persistence(self) -> Persistence:
        """The persistence adapter (after start)."""
        if self._persistence is None:
            raise BootError("the kernel is not started; await kernel.start() first")
        return self._persistence

    def transaction(
        self, propagation: Propagation | str = Propagation.REQUIRED, *, read_only: bool = False
    ) -> contextlib.AbstractAsyncContextManager[Any]:
        """Open or join a transaction on the application's database.

        Read-only transactions connect on their first statement, so reads answered from the
        cache cost no database round trip.
        """
        return self.persistence.transaction(propagation, read_only=read_only, lazy=read_only)

    def for_model(self, model: type[Any]) -> RepoFor[Any]:
        """The repository of ``model`` use cases get (custom, default, cached when enabled)."""
        repo = self._repositories.get(model)
        if repo is None:
            key = RepoFor[model]  # type: ignore[valid-type]
            repo = (
                self.container.resolve(key)
                if self.container.is_registered(key)
                else self.persistence.repository(model)
            )
            for extension in self._extensions:
                wrap = getattr(extension, "wrap_repository", None)
                if wrap is not None:
                    repo = wrap(model, repo)
            self._repositories[model] = repo
        return repo

    repository = for_model

    def plan(self, use_case: type[Any]) -> UseCasePlan:
        """The compiled plan of ``use_case`` (compiled now if it was not discovered)."""
        plan = self.plans.get(use_case)
        if plan is None:
            plan = compile_use_case(use_case)
            self.plans[use_case] = plan
        return plan

    async def execute(
        self,
        use_case: type[Any],
        params: Mapping[str, Any] | None = None,
        payload: Any = None,
        *,
        query: QuerySpec | None = None,
    ) -> Any:
        """Run one use case: build it, open its transaction, resolve its markers, execute.

        A write use case runs in one transaction (marker reads included); a read-only one in a
        read-only transaction. Inside an open transaction it joins it.
        """
        plan = self.plan(use_case)
        if self.container.is_registered(use_case):
            instance = await self.container.aresolve(use_case)
        else:
            instance = await self.container.abuild(use_case)
        if plan.model is not None:
            instance.main_repo = self.for_model(plan.model)
        async with self.transaction(read_only=plan.read_only):
            return await plan.run(instance, params, payload, repos=self, query=query)


def create_kernel(*config_paths: str | Path, overrides: Mapping[str, Any] | None = None) -> Kernel:
    """Build a kernel from YAML files (merged in order); ``await kernel.start()`` opens it.

    Raises:
        ConfigError: A file that is missing or invalid.
    """
    if not config_paths and overrides is None:
        raise ConfigError("create_kernel() needs at least one config file (or overrides)")
    return Kernel(load_config(*config_paths, overrides=overrides))
