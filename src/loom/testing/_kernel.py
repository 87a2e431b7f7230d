"""Starting an application in a test: a kernel, and an HTTP client on its app."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

from loom.core.bootstrap import Components, Kernel
from loom.core.config import load_config
from loom.core.errors import ConfigError


@contextlib.asynccontextmanager
async def running_kernel(
    *config_paths: str | Path,
    overrides: Mapping[str, Any] | None = None,
    components: Components | None = None,
    dependencies: Mapping[Any, Any] | None = None,
) -> AsyncIterator[Kernel]:
    """A started kernel for one test, stopped afterwards.

    Args:
        config_paths: The application's YAML files (none: defaults plus ``overrides``).
        overrides: Config values by dotted key (``{"database.url": "sqlite+aiosqlite://"}``).
        components: Explicit models, use cases, jobs and interfaces (default: discovery).
        dependencies: Services to replace, by the key they are registered under (a fake
            mailer for ``Mailer``); applied after the application's own registrations.

    Example:
        >>> async with running_kernel("config/api.yaml",  # doctest: +SKIP
        ...                           overrides={"database.url": "sqlite+aiosqlite://"},
        ...                           dependencies={Mailer: FakeMailer()}) as kernel:
        ...     await kernel.invoker.invoke(SignUpUseCase, payload={...})
    """
    kernel = Kernel(load_config(*config_paths, overrides=overrides), components)
    if dependencies:
        replacements = dict(dependencies)

        def replace(container: Any) -> None:
            for key, value in replacements.items():
                container.register(key, instance=value)

        kernel.add_extension(_LateRegistrations(replace))
    async with kernel:
        yield kernel


class _LateRegistrations:
    """Registers test replacements once the application's own modules have run."""

    def __init__(self, register: Any) -> None:
        self._register = register

    async def on_boot(self, kernel: Kernel) -> None:
        return None

    async def on_started(self, kernel: Kernel) -> None:
        self._register(kernel.container)

    async def on_stop(self, kernel: Kernel) -> None:
        return None


@contextlib.asynccontextmanager
async def app_client(kernel: Kernel, *, base_url: str = "http://testserver") -> AsyncIterator[Any]:
    """An ``httpx.AsyncClient`` on the kernel's FastAPI app, its lifespan running.

    Args:
        kernel: A kernel that is not started yet (the app's lifespan starts and stops it).
        base_url: The URL requests are made against.

    Raises:
        ConfigError: When the ``rest`` extra (FastAPI, httpx) is not installed.
    """
    try:
        import httpx

        from loom.rest.fastapi import create_app_from_kernel
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise ConfigError(
            "app_client needs the rest extra and httpx: pip install 'loom-framework[rest]' httpx"
        ) from exc
    app = create_app_from_kernel(kernel)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            yield client
