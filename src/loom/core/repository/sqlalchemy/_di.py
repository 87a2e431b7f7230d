"""Wiring the SQLAlchemy adapter into the container and the kernel."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from loom.core.di import LoomContainer
from loom.core.events import SupportsPostCommit
from loom.core.repository.abc import DefaultRepositoryBuilder, RepoFor, repository_keys
from loom.core.repository.sqlalchemy._boot import connect_error
from loom.core.repository.sqlalchemy._cache_journal import (
    SQLAlchemyInvalidationJournal,
    build_cache_journal,
)
from loom.core.repository.sqlalchemy._compiler import new_base, registry_for
from loom.core.repository.sqlalchemy._outbox_store import (
    SQLAlchemyJobLedger,
    SQLAlchemyOutboxStore,
    build_outbox_storage,
)
from loom.core.repository.sqlalchemy._repository import RepositorySQLAlchemy
from loom.core.repository.sqlalchemy._session import SessionManager
from loom.core.transaction import Propagation


@dataclass(frozen=True)
class SQLAlchemyDefaultRepositoryBuilder:
    """Builds ``RepositorySQLAlchemy(session_manager, model)`` for models without a custom one.

    Registered by :func:`build_sqlalchemy_repository_registration_module`; construct it
    yourself only to register it ahead of that module.
    """

    session_manager: SessionManager

    def build(self, model: type[Any]) -> RepoFor[Any]:
        """The default repository of ``model``."""
        return RepositorySQLAlchemy(self.session_manager, model)


def build_repository(container: LoomContainer, model: type[Any]) -> RepoFor[Any]:
    """The repository ``model`` gets: its ``repository_for`` class, else the default builder's."""
    custom = model.__dict__.get("__loom_repository__")
    if custom is not None:
        manager = container.resolve(SessionManager)
        return custom(manager, model)  # type: ignore[no-any-return]
    builder: DefaultRepositoryBuilder = container.resolve(DefaultRepositoryBuilder)
    return builder.build(model)


def build_sqlalchemy_repository_registration_module(
    session_manager: SessionManager,
    models: Sequence[type[Any]],
    *,
    logical_models: Sequence[type[Any]] = (),
) -> Callable[[LoomContainer], None]:
    """A container module registering the session manager and every model's repository.

    It registers ``SessionManager`` and ``DefaultRepositoryBuilder`` unless the container has
    them already (register your own builder first to swap it), then each model's repository
    as a singleton under ``RepoFor[Model]``, its custom class and its contract protocol.

    Args:
        session_manager: The shared session manager.
        models: Models stored in tables.
        logical_models: Models without a table of their own (views, projections served by
            custom repositories): compiled for their fields but given no default repository.

    Returns:
        ``Callable[[LoomContainer], None]``.
    """
    logical = set(logical_models)

    def module(container: LoomContainer) -> None:
        if not container.is_registered(SessionManager):
            container.register(SessionManager, instance=session_manager)
        if not container.is_registered(DefaultRepositoryBuilder):
            container.register(
                DefaultRepositoryBuilder,
                instance=SQLAlchemyDefaultRepositoryBuilder(session_manager),
            )
        for model in models:
            if model in logical and model.__dict__.get("__loom_repository__") is None:
                continue
            instance = build_repository(container, model)
            for key in repository_keys(model):
                container.register(key, instance=instance)

    return module


@dataclass
class SQLAlchemyPersistence:
    """The kernel's persistence port on SQLAlchemy: one session manager, one declarative base.

    Attributes:
        session_manager: The session manager.
        base: The declarative base the application's models compile into.
    """

    session_manager: SessionManager
    models: Sequence[type[Any]]
    base: type[Any] = field(default_factory=new_base)
    _repositories: dict[type[Any], RepoFor[Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.session_manager.base = self.base
        registry_for(self.base).compile_all(self.models)

    @classmethod
    def from_config(
        cls, database: Any, models: Sequence[type[Any]], *, inject_trace_id: bool = False
    ) -> SQLAlchemyPersistence:
        """Build from the ``database`` config section."""
        manager = SessionManager(
            database.url,
            echo=database.echo,
            pool_pre_ping=database.pool_pre_ping,
            pool_size=database.pool_size,
            max_overflow=database.max_overflow,
            pool_timeout=database.pool_timeout,
            pool_recycle=database.pool_recycle,
            connect_args=dict(database.connect_args) or None,
            inject_trace_id=inject_trace_id,
        )
        return cls(manager, models)

    def transaction(
        self,
        propagation: Propagation | str = Propagation.REQUIRED,
        *,
        read_only: bool = False,
        lazy: bool = False,
    ) -> contextlib.AbstractAsyncContextManager[Any]:
        """Open or join a transaction (``lazy``: connect on the first statement)."""
        return self.session_manager.transaction(propagation, read_only=read_only, lazy=lazy)

    def registration_module(self) -> Callable[[LoomContainer], None]:
        """The container module for this persistence."""
        return build_sqlalchemy_repository_registration_module(self.session_manager, self.models)

    def repository(self, model: type[Any]) -> RepoFor[Any]:
        """The uncached repository of ``model`` (built once)."""
        repo = self._repositories.get(model)
        if repo is None:
            custom = model.__dict__.get("__loom_repository__")
            repo = (
                custom(self.session_manager, model)
                if custom is not None
                else RepositorySQLAlchemy(self.session_manager, model)
            )
            self._repositories[model] = repo
        return repo

    def add_post_commit_hook(self, hook: SupportsPostCommit) -> None:
        """Call ``hook`` after every commit."""
        self.session_manager.add_post_commit_hook(hook)

    def outbox_storage(self) -> tuple[SQLAlchemyOutboxStore, SQLAlchemyJobLedger]:
        """The outbox store and job ledger in this database (their tables join the schema)."""
        return build_outbox_storage(self)

    def cache_journal(self) -> SQLAlchemyInvalidationJournal | None:
        """The journal of lost cache invalidations in this database (its table joins the
        schema), or ``None`` for an in-memory SQLite database."""
        return build_cache_journal(self)

    async def start(self, *, create_schema: bool) -> None:
        """Create missing tables when asked.

        Raises:
            BootError: The database cannot be reached or opened (the message says where and
                what to do).
        """
        if create_schema:
            try:
                await self.session_manager.create_all(self.base)
            except Exception as exc:
                raise connect_error(self._url(), exc) from exc

    async def missing_tables(self) -> list[str]:
        """The tables of the models (and the outbox) that the database does not have.

        Raises:
            BootError: The database cannot be reached or opened.
        """
        wanted = list(self.base.metadata.tables.values())
        try:
            async with self.session_manager.engine.connect() as conn:
                return await conn.run_sync(
                    lambda sync: [
                        t.name
                        for t in wanted
                        if not sa.inspect(sync).has_table(t.name, schema=t.schema)
                    ]
                )
        except Exception as exc:
            raise connect_error(self._url(), exc) from exc

    def _url(self) -> str:
        return self.session_manager.engine.url.render_as_string(hide_password=False)

    async def ping(self) -> bool:
        """Whether the database answers ``SELECT 1``."""
        try:
            async with self.session_manager.engine.connect() as conn:
                await conn.execute(sa.text("SELECT 1"))
        except Exception:
            return False
        return True

    async def stop(self) -> None:
        """Dispose of the engine."""
        await self.session_manager.dispose()
