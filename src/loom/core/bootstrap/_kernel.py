"""The kernel: one application's container, models, database, cache and compiled use cases."""

from __future__ import annotations

import contextlib
import logging
import secrets
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from loom.core.bootstrap._cache import KernelCache
from loom.core.bootstrap._cache_extension import CacheExtension
from loom.core.bootstrap._discovery import Components, discover
from loom.core.bootstrap._persistence import Persistence
from loom.core.config import LoomConfig, load_config
from loom.core.di import LoomContainer
from loom.core.errors import BootError, ConfigError
from loom.core.extension import Extension, ExtensionCatalog, KernelExtensions
from loom.core.job import JobsExtension
from loom.core.query import CursorCodec, QuerySpec
from loom.core.repository.abc import RepoFor, repository_keys
from loom.core.transaction import Propagation
from loom.core.use_case import UseCasePlan, compile_use_case
from loom.core.use_case.invoker import ApplicationInvoker

logger = logging.getLogger("loom.kernel")


class Kernel:
    """One application: built from config, started once, stopped once.

    It owns the container, the models' repositories, the persistence adapter, the compiled
    plans and its extensions (the database adapter, the cache, jobs, ...: see
    :class:`~loom.core.extension.Extension`). Two kernels in one process share nothing. Use it
    as ``async with create_kernel("config/api.yaml") as kernel: ...``.

    Args:
        config: The typed configuration.
        components: Explicit components (default: discovered from ``config.app`` at start).
        extensions: Extension classes to use beside the installed ones (one with an installed
            extension's name replaces it), or a whole :class:`ExtensionCatalog`.

    Attributes:
        config: The typed configuration.
        container: The dependency container.
        components: The models, use cases, jobs and interfaces discovered at start.
        invoker: The :class:`ApplicationInvoker` bound to this kernel.
        extensions: The extensions enabled by the configuration, in boot order.
        models: Every model the kernel compiled (discovered or referenced; after start).
        cursor_codec: Signs pagination cursors (after start).
    """

    def __init__(
        self,
        config: LoomConfig,
        components: Components | None = None,
        *,
        extensions: ExtensionCatalog | Iterable[type[Extension]] | None = None,
    ) -> None:
        self.config = config
        self.container = LoomContainer()
        self.components = components or Components()
        self._discover = components is None
        self.invoker = ApplicationInvoker(self)
        self.plans: dict[type[Any], UseCasePlan] = {}
        self.models: list[type[Any]] = []
        self.cursor_codec: CursorCodec | None = None
        self._persistence: Persistence | None = None
        self._repositories: dict[type[Any], RepoFor[Any]] = {}
        if not isinstance(extensions, ExtensionCatalog):
            extensions = ExtensionCatalog.installed().including(extensions or ())
        self.extensions: KernelExtensions = extensions.instantiate(config)
        self.started = False

    @property
    def jobs(self) -> JobsExtension:
        """Jobs, the outbox and its relay (``JobService`` is also in the container)."""
        jobs = self.extensions.get("jobs")
        if not isinstance(jobs, JobsExtension):
            raise BootError(
                "the jobs extension is not installed (entry point 'jobs' of the "
                "loom.extensions group); reinstall loom-framework"
            )
        return jobs

    @property
    def cache(self) -> KernelCache | None:
        """The cache, when the configuration enables one (after start)."""
        extension = self.extensions.get("cache")
        return extension.cache if isinstance(extension, CacheExtension) else None

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
        except BaseException:
            # Whatever failed (a config error, a database that does not answer), nothing the
            # boot opened may outlive it.
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
        self.models = self._all_models(components)
        self.cursor_codec = self._cursor_codec()
        persistence = self._provide_persistence()
        self._persistence = persistence
        if self.config.database.schema == "migrate":
            # Named, never imported: the migrations extension upgrades the schema in on_boot.
            self.extensions.require("migrations", "database.schema is 'migrate'")
        for extension in self.extensions:
            await _hook(extension, "on_boot")(self)
        self._register(self.models)
        self.container.validate()
        await persistence.start(create_schema=self.config.database.schema == "create_all")
        # Extensions that need the tables (the outbox relay) start once the database is open.
        for extension in self.extensions:
            await _hook(extension, "on_started")(self)

    def _all_models(self, components: Components) -> list[type[Any]]:
        models = list(components.models)
        for plan in self.plans.values():
            referenced = [plan.model, *(getattr(step, "model", None) for step in plan.steps)]
            for model in referenced:
                if model is not None and model not in models:
                    models.append(model)
        return models

    def _provide_persistence(self) -> Persistence:
        for extension in self.extensions:
            provide = getattr(extension, "provide_persistence", None)
            persistence = provide(self) if provide is not None else None
            if persistence is not None:
                return persistence  # type: ignore[no-any-return]
        raise BootError(
            "no installed extension provides the database (loom-framework declares one as the "
            "'sqlalchemy' entry point of the loom.extensions group); install the package "
            "rather than putting its source on the path: pip install loom-framework",
            code="extension_missing",
        )

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
        # Extensions before the application, so that the application can replace what they
        # register.
        for extension in self.extensions:
            provide = getattr(extension, "container_module", None)
            module = provide(self) if provide is not None else None
            if module is not None:
                container.load(module)
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
        for extension in reversed(list(self.extensions)):
            with contextlib.suppress(Exception):
                await _hook(extension, "on_stop")(self)
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
        """Attach an extension instance before start; it boots after the others.

        Any hook of :class:`~loom.core.extension.Extension` it lacks is skipped, so an object
        with only ``async on_boot(kernel)`` and ``async on_stop(kernel)`` will do.
        """
        self.extensions.add(extension)

    async def drain(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109 (documented API)
        """Wait until the outbox is empty and the inline jobs it started have finished.

        For tests: dispatch, commit, ``await kernel.drain()``, then assert on the effects.

        Raises:
            JobError: Messages are still pending after ``timeout`` seconds.
        """
        for extension in self.extensions:
            await _hook(extension, "drain")(timeout)

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
            for extension in self.extensions:
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


def create_kernel(
    *config_paths: str | Path,
    overrides: Mapping[str, Any] | None = None,
    extensions: Iterable[type[Extension]] = (),
) -> Kernel:
    """Build a kernel from YAML files (merged in order); ``await kernel.start()`` opens it.

    Args:
        config_paths: The YAML files.
        overrides: Config values by dotted key, applied last.
        extensions: Extension classes beside the installed ones (their config sections are
            accepted too).

    Raises:
        ConfigError: A file that is missing or invalid.
        BootError: An installed extension cannot be imported.
    """
    if not config_paths and overrides is None:
        raise ConfigError("create_kernel() needs at least one config file (or overrides)")
    catalog = ExtensionCatalog.installed().including(extensions)
    config = load_config(*config_paths, overrides=overrides, extensions=catalog)
    return Kernel(config, extensions=catalog)


async def _skip(*_: Any) -> None:
    return None


def _hook(extension: Any, name: str) -> Any:
    """``extension``'s async hook ``name``, or a no-op for an extension that lacks it."""
    return getattr(extension, name, None) or _skip
