"""The FastAPI adapter of the REST layer: ``create_app`` and the pieces it assembles.

Needs the ``rest`` extra (``pip install 'loom-framework[rest]'``).
"""

try:
    import fastapi  # noqa: F401 - checked here so the error names the extra
except ModuleNotFoundError as exc:  # pragma: no cover - depends on the environment
    raise ModuleNotFoundError(
        "loom.rest.fastapi needs FastAPI; install it with: pip install 'loom-framework[rest]'"
    ) from exc

from loom.rest.fastapi._json import MsgspecJSONResponse
from loom.rest.fastapi._middleware import RequestContextMiddleware
from loom.rest.fastapi._state import LoomState
from loom.rest.fastapi.auto import create_app, create_app_from_kernel

__all__ = [
    "LoomState",
    "MsgspecJSONResponse",
    "RequestContextMiddleware",
    "create_app",
    "create_app_from_kernel",
]
