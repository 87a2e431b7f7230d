"""``loom serve``: uvicorn on the FastAPI application of a config file.

uvicorn imports the application by name (needed for ``--reload``, which re-imports it in a new
process), so the config path travels in an environment variable.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

CONFIG_ENV = "LOOM_SERVE_CONFIG"

FACTORY = "loom.cli._serve:app_from_environment"


def rest_missing() -> str | None:
    """Why ``serve`` cannot run here, or ``None`` when it can."""
    for module, extra in (("fastapi", "rest"), ("uvicorn", "rest")):
        if importlib.util.find_spec(module) is None:
            return (
                f"loom serve needs {module}, which is not installed; install the {extra} extra "
                f"(pip install 'loom-framework[{extra}]')"
            )
    return None


def app_from_environment() -> Any:
    """The FastAPI app of the config named by ``LOOM_SERVE_CONFIG`` (uvicorn's factory)."""
    from loom.rest.fastapi.auto import create_app

    return create_app(os.environ[CONFIG_ENV])


def serve(config_path: Path, host: str, port: int, reload: bool) -> None:
    """Run uvicorn until it is stopped."""
    import uvicorn

    os.environ[CONFIG_ENV] = str(config_path.resolve())
    reload_dirs = [str(config_path.resolve().parent)] if reload else None
    uvicorn.run(FACTORY, factory=True, host=host, port=port, reload=reload, reload_dirs=reload_dirs)
