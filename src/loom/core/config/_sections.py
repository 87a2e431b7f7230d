"""The typed sections of a Loom YAML file, as msgspec Structs with defaults.

Every section rejects unknown keys and has a default for every field, so an empty file is a
valid configuration. Imports only msgspec and the standard library.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

PositiveInt = Annotated[int, msgspec.Meta(ge=1)]
NonNegativeInt = Annotated[int, msgspec.Meta(ge=0)]
PositiveFloat = Annotated[float, msgspec.Meta(gt=0)]
NonNegativeFloat = Annotated[float, msgspec.Meta(ge=0)]


class Section(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Base of every section: immutable, keyword-only, unknown keys rejected."""


class ModulesDiscovery(Section, frozen=True):
    """``app.discovery.modules``: the modules imported at boot, in order.

    Attributes:
        include: Dotted module names (``app.product.model``).
    """

    include: tuple[str, ...] = ()


class ManifestDiscovery(Section, frozen=True):
    """``app.discovery.manifest``: one module listing every component.

    Attributes:
        module: Dotted name of the manifest module (``MODELS``, ``USE_CASES``, ``JOBS``,
            ``INTERFACES``); required when ``mode`` is ``manifest``.
    """

    module: str | None = None


class DiscoverySection(Section, frozen=True):
    """``app.discovery``: how the kernel finds models, use cases, jobs and interfaces.

    Attributes:
        mode: ``modules`` (import a list) or ``manifest`` (read one module's lists).
        modules: Settings of the ``modules`` mode.
        manifest: Settings of the ``manifest`` mode.
    """

    mode: Literal["modules", "manifest"] = "modules"
    modules: ModulesDiscovery = ModulesDiscovery()
    manifest: ManifestDiscovery = ManifestDiscovery()


class AppSection(Section, frozen=True):
    """``app``: the application itself.

    Attributes:
        name: Application name (logs, metrics, the default API title).
        code_path: Directory added to the import path; after loading it is absolute,
            resolved against the directory of the file that declared it.
        discovery: How components are found.
    """

    name: str = "loom-app"
    code_path: str | None = None
    discovery: DiscoverySection = DiscoverySection()


class DatabaseSection(Section, frozen=True):
    """``database``: the SQLAlchemy engine.

    Attributes:
        url: SQLAlchemy URL; relative SQLite paths are relative to the working directory, as
            SQLAlchemy reads them.
        echo: Log every statement.
        pool_size: Connections kept open (ignored by SQLite file pools).
        max_overflow: Extra connections allowed beyond ``pool_size``.
        pool_timeout: Seconds to wait for a connection.
        pool_recycle: Seconds after which a connection is replaced.
        pool_pre_ping: Test connections before use.
        schema: ``create_all`` creates missing tables (and the outbox) at boot, for tests and
            throwaway databases; ``migrate`` upgrades the database to the migrations' head at
            boot (the ``migrations`` extra; one process migrates, the others wait for it);
            ``none`` leaves the schema alone (``loom db upgrade`` runs the migrations).
        connect_args: Passed to the DBAPI ``connect()``.
    """

    url: str = "sqlite+aiosqlite:///./app.db"
    echo: bool = False
    pool_size: PositiveInt = 10
    max_overflow: NonNegativeInt = 20
    pool_timeout: PositiveFloat = 30.0
    pool_recycle: int = 1800
    pool_pre_ping: bool = True
    schema: Literal["create_all", "migrate", "none"] = "create_all"
    connect_args: dict[str, Any] = msgspec.field(default_factory=dict)


class CacheSection(Section, frozen=True):
    """``cache``: the raw settings ``loom.core.cache.CacheConfig.from_mapping`` consumes.

    Attributes:
        enabled: Global toggle; with a ``cache:`` section, default repositories are cached.
        aiocache_alias: Alias of the value backend in ``aiocache``.
        counter_alias: Alias of the generation-counter backend (``None``: the value backend).
        default_ttl: Seconds an entity stays cached.
        default_list_ttl: Seconds a list stays cached.
        ttl: Per-entity overrides (``user``, ``user_list``).
        max_size: Entry bound injected into in-memory backends.
        ttl_jitter: Fraction of a TTL added at random to each write.
        invalidation_wait: Seconds a write whose counter bump could not reach a shared cache
            waits for another process to apply it (see the cache docs); 0 does not wait.
        invalidation_poll: Seconds between two looks at the database's record of lost
            invalidations, when it cannot announce them (SQLite) or an announcement was lost.
        aiocache: Backend settings by alias, in aiocache's own format (kept raw).
    """

    enabled: bool = True
    aiocache_alias: str = "default"
    counter_alias: str | None = None
    default_ttl: NonNegativeInt = 200
    default_list_ttl: NonNegativeInt = 120
    ttl: dict[str, int] = msgspec.field(default_factory=dict)
    max_size: PositiveInt | None = None
    ttl_jitter: Annotated[float, msgspec.Meta(ge=0, le=1)] = 0.1
    invalidation_wait: NonNegativeFloat = 2.0
    invalidation_poll: PositiveFloat = 1.0
    aiocache: dict[str, dict[str, Any]] = msgspec.field(default_factory=dict)

    def to_mapping(self) -> dict[str, Any]:
        """The section as a plain mapping, keys spelled as in the YAML file."""
        return msgspec.to_builtins(self)  # type: ignore[no-any-return]


class RestSection(Section, frozen=True):
    """``rest``: the HTTP API.

    Attributes:
        backend: The web framework adapter.
        title: OpenAPI title (``None``: ``app.name``).
        version: OpenAPI version string.
        docs_url: Where the interactive docs are served (``None`` disables them).
        body_limit: Largest accepted request body, in bytes.
        default_limit: Page size when a request gives none.
        max_limit: Largest page size a request may ask for.
        casing: JSON field names: ``snake`` as declared, or ``camel``.
        health: Serve ``/health``.
        ready: Serve ``/ready``.
    """

    backend: Literal["fastapi"] = "fastapi"
    title: str | None = None
    version: str = "0.1.0"
    docs_url: str | None = "/docs"
    body_limit: PositiveInt = 1024 * 1024
    default_limit: PositiveInt = 50
    max_limit: PositiveInt = 1000
    casing: Literal["snake", "camel"] = "snake"
    health: bool = True
    ready: bool = True


class SecuritySection(Section, frozen=True):
    """``security``: secrets.

    Attributes:
        cursor_secret: Key that signs pagination cursors (``None``: a random key per process).
    """

    cursor_secret: str | None = None


class JobsSection(Section, frozen=True):
    """``jobs``: where background jobs run.

    Attributes:
        backend: ``inline`` (after commit, in process) or ``celery``.
        default_queue: Queue for jobs that declare none.
    """

    backend: Literal["inline", "celery"] = "inline"
    default_queue: str = "default"


class OutboxSection(Section, frozen=True):
    """``outbox``: the relay that hands committed jobs to the backend.

    Attributes:
        enabled: Run the in-process relay.
        batch_size: Rows claimed per poll.
        poll_interval: Seconds between polls when idle.
        max_attempts: Deliveries tried before a row is marked failed.
        backoff_base: Seconds of the first retry delay (doubled per attempt).
        backoff_max: Longest retry delay, in seconds.
        lease: Seconds a relay's claim on a row lasts; after it (a relay that died) another
            relay delivers the row again. Running deliveries renew their claims every third of
            it, so a job may run longer than the lease.
        retention: Seconds a sent row is kept before the relay deletes it (``0``: kept
            forever). Dead letters are never deleted automatically.
        concurrency: Deliveries (inline jobs, broker publishes) a relay runs at once; rows
            sharing an ordering key still run one after another.
    """

    enabled: bool = True
    batch_size: PositiveInt = 100
    poll_interval: PositiveFloat = 1.0
    max_attempts: PositiveInt = 10
    backoff_base: NonNegativeFloat = 1.0
    backoff_max: NonNegativeFloat = 300.0
    lease: PositiveFloat = 60.0
    retention: NonNegativeFloat = 604800.0
    concurrency: PositiveInt = 10


class TraceSection(Section, frozen=True):
    """``trace``: the request id carried through logs, problem documents and the database.

    Attributes:
        enabled: Carry a trace id.
        header: HTTP header read and echoed.
        database: Also set it as PostgreSQL's ``loom.trace_id`` in write transactions (one
            extra statement per write transaction, so off by default).
    """

    enabled: bool = True
    header: str = "x-request-id"
    database: bool = False


class MetricsSection(Section, frozen=True):
    """``metrics``: the Prometheus endpoint.

    Attributes:
        enabled: Serve metrics.
        path: Where they are served.
    """

    enabled: bool = False
    path: str = "/metrics"


class LoggingSection(Section, frozen=True):
    """``logging``: log output.

    Attributes:
        level: ``DEBUG``, ``INFO``, ``WARNING``, ``ERROR`` or ``CRITICAL`` (the loader accepts
            any case).
        json: One JSON object per line instead of text.
    """

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    json: bool = False


class Document(Section, frozen=True):
    """The top level of a configuration file, as converted (``includes`` already applied)."""

    app: AppSection = AppSection()
    database: DatabaseSection = DatabaseSection()
    cache: CacheSection | None = None
    rest: RestSection = RestSection()
    security: SecuritySection = SecuritySection()
    jobs: JobsSection = JobsSection()
    outbox: OutboxSection = OutboxSection()
    trace: TraceSection = TraceSection()
    metrics: MetricsSection = MetricsSection()
    logging: LoggingSection = LoggingSection()
    celery: dict[str, Any] = msgspec.field(default_factory=dict)
