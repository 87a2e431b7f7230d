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


class CorsSection(Section, frozen=True):
    """``rest.cors``: which other origins' browsers may call the API (CORS).

    Without the section no CORS headers are sent. A wildcard origin together with credentials
    is refused: the browser would then send cookies from every site.

    Attributes:
        allow_origins: Exact origins allowed (``["https://app.example.com"]``; ``["*"]`` for any,
            without credentials).
        allow_origin_regex: A regular expression of allowed origins.
        allow_methods: Methods allowed in cross-origin requests.
        allow_headers: Request headers a caller may send.
        allow_credentials: Allow cookies and ``Authorization`` cross-origin.
        expose_headers: Response headers the browser may read.
        max_age: Seconds a preflight answer may be cached.
    """

    allow_origins: tuple[str, ...] = ()
    allow_origin_regex: str | None = None
    allow_methods: tuple[str, ...] = ("GET",)
    allow_headers: tuple[str, ...] = ()
    allow_credentials: bool = False
    expose_headers: tuple[str, ...] = ()
    max_age: NonNegativeInt = 600


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
        ttl_jitter: Fraction of a TTL added at random to each write (0 to 1).
        invalidation_wait: Seconds a write whose counter bump could not reach a shared cache
            waits for another process to apply it (see the cache docs); 0 does not wait.
        invalidation_poll: Seconds between two looks at the database's record of lost
            invalidations, when it cannot announce them (SQLite) or an announcement was lost.
        aiocache: Backend settings by alias, in aiocache's own format (kept raw).
        aiocache_config: loom-kernel's name of ``aiocache`` (give one of the two).
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
    aiocache_config: dict[str, dict[str, Any]] = msgspec.field(default_factory=dict)

    def to_mapping(self) -> dict[str, Any]:
        """The section as a plain mapping, keys spelled as in the YAML file."""
        mapping: dict[str, Any] = msgspec.to_builtins(self)
        # One spelling reaches CacheConfig: it refuses a mapping that gives both.
        if not mapping["aiocache"] or mapping["aiocache"] == mapping["aiocache_config"]:
            mapping["aiocache"] = mapping["aiocache_config"] or mapping["aiocache"]
            del mapping["aiocache_config"]
        elif not mapping["aiocache_config"]:
            del mapping["aiocache_config"]
        return mapping


class RestSection(Section, frozen=True):
    """``rest`` (or ``app.rest``, where loom-kernel reads it): the HTTP API.

    Attributes:
        backend: The web framework adapter.
        title: OpenAPI title (``None``: ``app.name``).
        version: OpenAPI version string.
        docs_url: Where the interactive docs are served (``None`` disables them).
        redoc_url: Where ReDoc is served (``None``, the default, serves none).
        openapi_url: Where the OpenAPI document is served (``None`` serves none, and no docs).
        body_limit: Largest accepted request body, in bytes.
        max_body_bytes: loom-kernel's name of ``body_limit``; after loading, ``body_limit``
            holds the value given under either name.
        cors: CORS settings (``None``: no CORS headers).
        default_limit: Page size when a request gives none.
        max_limit: Largest page size a request may ask for.
        casing: JSON field names: ``snake`` as declared, or ``camel``.
        health: Serve ``/health``.
        ready: Serve ``/ready``.
        compat: ``loom_kernel`` answers in loom-kernel 9's wire format (camelCase models,
            commands and pages whatever ``casing`` says, offset pages with their total, an
            auto-CRUD delete answering 200 ``true``, loom-kernel's 4xx error bodies) so its
            clients keep working; ``None`` (the default) is Loom's own format.
    """

    backend: Literal["fastapi"] = "fastapi"
    title: str | None = None
    version: str = "0.1.0"
    docs_url: str | None = "/docs"
    redoc_url: str | None = None
    openapi_url: str | None = "/openapi.json"
    body_limit: PositiveInt = 1024 * 1024
    max_body_bytes: PositiveInt | None = None
    cors: CorsSection | None = None
    default_limit: PositiveInt = 50
    max_limit: PositiveInt = 1000
    casing: Literal["snake", "camel"] = "snake"
    health: bool = True
    ready: bool = True
    compat: Literal["loom_kernel"] | None = None


class AppSection(Section, frozen=True):
    """``app``: the application itself.

    Attributes:
        name: Application name (logs, metrics, the default API title).
        code_path: Directory added to the import path; after loading it is absolute,
            resolved against the directory of the file that declared it.
        discovery: How components are found.
        rest: The HTTP API, where loom-kernel configures it; after loading it is the same
            section as the top-level ``rest`` (giving both with different values is an error).
    """

    name: str = "loom-app"
    code_path: str | None = None
    discovery: DiscoverySection = DiscoverySection()
    rest: RestSection | None = None


class SecuritySection(Section, frozen=True):
    """``security``: secrets.

    Attributes:
        cursor_secret: Key that signs pagination cursors (``None``: a random key per process).
    """

    cursor_secret: str | None = None


class JobSection(Section, frozen=True):
    """``jobs.<JobClassName>``: settings of one job class, overriding its class attributes.

    A key left out keeps what the class declares.

    Attributes:
        queue: Queue the job is sent to (``__queue__``).
        retries: Extra attempts after a failure (``__retries__``).
        countdown: Seconds between the commit and the first run (``__countdown__``).
        timeout: Seconds an attempt may take before it fails (``__timeout__``).
        priority: Broker priority, where the broker supports it (``__priority__``).
    """

    queue: str | None = None
    retries: NonNegativeInt | None = None
    countdown: NonNegativeFloat | None = None
    timeout: PositiveFloat | None = None
    priority: NonNegativeInt | None = None


class JobsSection(Section, frozen=True):
    """``jobs``: where background jobs run, and settings per job class.

    Attributes:
        backend: ``inline`` (after commit, in process) or ``celery``.
        default_queue: Queue for jobs that declare none.
        per_job: Settings of job classes, by class name: the other keys of ``jobs`` in the
            file (``jobs: {SendRestockEmailJob: {queue: mail, retries: 3}}``). At boot each
            name must be a discovered job class.
    """

    backend: Literal["inline", "celery"] = "inline"
    default_queue: str = "default"
    per_job: dict[str, JobSection] = msgspec.field(default_factory=dict)


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


LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class LoggingSection(Section, frozen=True):
    """``logging``: log output.

    Attributes:
        level: ``DEBUG``, ``INFO``, ``WARNING``, ``ERROR`` or ``CRITICAL`` (the loader accepts
            any case).
        json: One JSON object per line instead of text.
        name: The logger these settings apply to (``""``: the root logger).
        colors: Colour text output (``None``: when the output is a terminal).
        levels: Levels of named loggers (``{"celery": "WARNING"}``).
        fields: Fixed fields every log line carries (``{"service": "store"}``).
    """

    level: LogLevel = "INFO"
    json: bool = False
    name: str = ""
    colors: bool | None = None
    levels: dict[str, LogLevel] = msgspec.field(default_factory=dict)
    fields: dict[str, str] = msgspec.field(default_factory=dict)


class LoggerSection(Section, frozen=True):
    """``logger``: loom-kernel's spelling of the logging settings, read into ``logging``.

    Attributes:
        name: The logger configured (``logging.name``).
        environment: ``production``, ``staging``, ``development`` or ``test``; without a
            ``renderer``, deployed environments (and, as in loom-kernel, an unset one: then
            ``LOOM_ENV`` decides, production by default) log JSON.
        renderer: ``json`` (``logging.json: true``) or ``console``.
        colors: Colour console output (``logging.colors``).
        level: The level (``logging.level``).
        named_levels: Levels of named loggers (``logging.levels``).
        fields: Fixed fields of every line (``logging.fields``).
    """

    name: str = ""
    environment: Literal["production", "staging", "development", "test"] | None = None
    renderer: Literal["json", "console"] | None = None
    colors: bool | None = None
    level: LogLevel = "INFO"
    named_levels: dict[str, LogLevel] = msgspec.field(default_factory=dict)
    fields: dict[str, str] = msgspec.field(default_factory=dict)


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
    logger: LoggerSection | None = None
    celery: dict[str, Any] = msgspec.field(default_factory=dict)
