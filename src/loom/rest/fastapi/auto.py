"""``create_app``: the FastAPI application of a Loom config file.

It boots nothing at import: the kernel opens in the app's lifespan and closes after it. Routes
come from every discovered ``RestInterface``; OpenAPI is served at ``rest.docs_url``; every
error is a problem document; every response carries the request id.

Example:
    >>> from loom.rest.fastapi.auto import create_app
    >>> app = create_app("config/api.yaml")  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from loom.core.bootstrap import Kernel, create_kernel
from loom.rest._casing import CamelCase
from loom.rest._compat import LOOM_KERNEL, kernel_renames
from loom.rest._compile import CompiledRoute, compile_routes
from loom.rest._health import Readiness, status_hook
from loom.rest._metrics import MetricsRegistry
from loom.rest._trace import install_trace_id_records
from loom.rest.fastapi._compat import compat_endpoint, install_compat_handlers
from loom.rest.fastapi._cors import install_cors
from loom.rest.fastapi._endpoint import make_endpoint
from loom.rest.fastapi._handlers import install_handlers
from loom.rest.fastapi._middleware import RequestContextMiddleware
from loom.rest.fastapi._openapi import Schemas, install_openapi, operation_extra
from loom.rest.fastapi._ops import install_ops
from loom.rest.fastapi._state import HttpMetrics, LoomState


def create_app(config_path: str | Path, *, overrides: Mapping[str, Any] | None = None) -> FastAPI:
    """The FastAPI application of a config file.

    Args:
        config_path: The YAML config (``config/api.yaml``).
        overrides: Dotted config keys to override (``{"database.url": ...}``).

    Returns:
        The application; its lifespan starts and stops the kernel.

    Raises:
        ConfigError: Invalid configuration, or an interface route that cannot work.
    """
    return create_app_from_kernel(create_kernel(config_path, overrides=overrides))


def create_app_from_kernel(kernel: Kernel) -> FastAPI:
    """The FastAPI application of a kernel (started or not).

    The app's lifespan starts the kernel when it is not started and then stops it; a kernel
    started by the caller is left for the caller to stop.

    Args:
        kernel: The application kernel.

    Returns:
        The application (``app.state.loom`` holds the kernel, metrics and readiness checks).

    With ``rest.casing: camel`` every JSON body read and written, list filters and sort keys
    and the OpenAPI document use camelCase field names (snake_case ones are read too); use
    cases still see the declared ones. ``rest.compat: loom_kernel`` answers in loom-kernel 9's
    wire format instead (see :mod:`loom.rest._compat`).

    Raises:
        ConfigError: An interface route that cannot work, naming the route and the fix.
    """
    config = kernel.config
    rest = config.rest
    compat = rest.compat
    casing: CamelCase | None = None
    if compat == LOOM_KERNEL:
        casing = CamelCase(renamed=kernel_renames)
    elif rest.casing == "camel":
        casing = CamelCase()
    components = kernel.discover()
    routes = compile_routes(
        components.interfaces,
        kernel.plan,
        default_limit=rest.default_limit,
        max_limit=rest.max_limit,
        rename=casing.name if casing is not None else None,
        compat=compat,
    )
    metrics = _metrics_of(kernel)
    state = LoomState(kernel=kernel, metrics=metrics, readiness=_readiness(kernel), routes=routes)
    app = FastAPI(
        title=rest.title or config.app.name,
        version=rest.version,
        docs_url=rest.docs_url,
        redoc_url=rest.redoc_url,
        openapi_url=rest.openapi_url,
        lifespan=_lifespan(kernel),
    )
    app.state.loom = state
    install_handlers(app)
    if compat == LOOM_KERNEL:
        install_compat_handlers(app)
    install_ops(app, state)
    _install_routes(app, state, routes, casing, compat=compat)
    http_metrics = HttpMetrics.on(metrics) if config.metrics.enabled else None
    header = config.trace.header if config.trace.enabled else None
    app.add_middleware(RequestContextMiddleware, header=header, metrics=http_metrics)
    if rest.cors is not None:
        install_cors(app, rest.cors)
    install_trace_id_records()
    return app


def _metrics_of(kernel: Kernel) -> MetricsRegistry:
    # One registry per kernel, in its container, so use cases and jobs can register theirs.
    container = kernel.container
    if container.is_registered(MetricsRegistry):
        found = container.resolve(MetricsRegistry)
        if isinstance(found, MetricsRegistry):
            return found
    registry = MetricsRegistry()
    container.register(MetricsRegistry, instance=registry)
    _kernel_gauges(registry, kernel)
    return registry


def _kernel_gauges(registry: MetricsRegistry, kernel: Kernel) -> None:
    """Gauges read at scrape time: cache hits and misses, pool usage, post-commit failures."""

    def cache_stat(name: str) -> Callable[[], float]:
        def read() -> float:
            cache = kernel.cache
            if cache is None or cache.data is None:
                return 0.0
            return float(getattr(cache.data.stats, name))

        return read

    for stat, meaning in (
        ("hits", "Cache reads answered from the cache"),
        ("misses", "Cache reads loaded from the database"),
        ("errors", "Cache backend operations that failed"),
        ("bypassed", "Reads sent to the database while the cache was unavailable"),
    ):
        registry.gauge(f"loom_cache_{stat}", meaning, function=cache_stat(stat))

    def pool(attribute: str) -> Callable[[], float]:
        def read() -> float:
            if not kernel.started:
                return 0.0
            engine = getattr(kernel.persistence, "session_manager", None)
            measure = getattr(
                getattr(getattr(engine, "engine", None), "pool", None), attribute, None
            )
            return float(measure()) if callable(measure) else 0.0

        return read

    registry.gauge("loom_db_pool_checked_out", "Connections in use", function=pool("checkedout"))
    registry.gauge("loom_db_pool_size", "Connections kept open", function=pool("size"))

    def hook_failures() -> float:
        manager = getattr(kernel.persistence, "session_manager", None) if kernel.started else None
        return float(getattr(manager, "hook_failures", 0))

    registry.gauge(
        "loom_post_commit_hook_failures",
        "Post-commit hooks that raised (the transactions stayed committed)",
        function=hook_failures,
    )


def _readiness(kernel: Kernel) -> Readiness:
    readiness = Readiness()

    async def database() -> bool:
        return await kernel.persistence.ping()

    readiness.add("database", database, critical=True)
    cache = status_hook(kernel)
    if cache is not None:
        readiness.add("cache", cache, critical=False)
    return readiness


def _install_routes(
    app: FastAPI,
    state: LoomState,
    routes: list[CompiledRoute],
    casing: CamelCase | None,
    *,
    compat: str | None = None,
) -> None:
    kernel = state.kernel
    body_limit = kernel.config.rest.body_limit
    schemas = Schemas()
    extras: list[dict[str, Any]] = []
    for route in routes:
        # Compiled now, so that models used only through interfaces are known at start.
        kernel.plans.setdefault(route.plan.use_case, route.plan)
        if compat == LOOM_KERNEL and casing is not None:
            endpoint = compat_endpoint(route, kernel, body_limit=body_limit, casing=casing)
        else:
            endpoint = make_endpoint(route, kernel, body_limit=body_limit, casing=casing)
        extra = operation_extra(route, schemas, casing, compat=compat)
        extras.append(extra)
        declared = route.route
        common: dict[str, Any] = {
            "methods": [route.method],
            "status_code": route.status_code,
            "dependencies": list(route.dependencies),
        }
        app.add_api_route(
            route.path,
            endpoint,
            summary=declared.summary,
            description=declared.description or None,
            tags=list(route.tags) or None,
            operation_id=route.operation_id,
            deprecated=declared.deprecated or None,
            include_in_schema=declared.include_in_schema,
            openapi_extra=extra,
            **common,
        )
        if route.path != "/":
            # The documents write collection paths with a trailing slash: serve both spellings
            # instead of redirecting (a redirected POST is lost by many clients).
            app.add_api_route(route.path + "/", endpoint, include_in_schema=False, **common)
    install_openapi(app, schemas, extras)


def _lifespan(kernel: Kernel) -> Any:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if kernel.started:
            yield
            return
        await kernel.start()
        try:
            yield
        finally:
            await kernel.stop()

    return lifespan


__all__ = ["create_app", "create_app_from_kernel"]
