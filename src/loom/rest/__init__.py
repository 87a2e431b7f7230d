"""The REST layer: interfaces, routes and auto-CRUD (framework-neutral), and its adapters.

``loom.rest`` and its modules import msgspec, the standard library and ``loom.core`` only;
``loom.rest.fastapi`` is the FastAPI adapter (``create_app``).

Example:
    >>> from loom.rest.autocrud import build_auto_routes
    >>> from loom.rest.model import ALL, PaginationMode, RestInterface, RestRoute
"""

from loom.core.errors import ConfigError as InterfaceCompilationError
from loom.rest._compile import CompiledRoute
from loom.rest._health import CheckResult, Readiness
from loom.rest._metrics import MetricsRegistry
from loom.rest._problem import PROBLEM_MEDIA_TYPE, Problem, ProblemField
from loom.rest._query import ListQuery, RouteQuery, default_fields, parse_query
from loom.rest._trace import TraceIdFilter
from loom.rest.autocrud import build_auto_routes
from loom.rest.model import ALL, PaginationMode, RestInterface, RestRoute

__all__ = [
    "ALL",
    "CheckResult",
    "CompiledRoute",
    "InterfaceCompilationError",
    "ListQuery",
    "MetricsRegistry",
    "PROBLEM_MEDIA_TYPE",
    "PaginationMode",
    "Problem",
    "ProblemField",
    "Readiness",
    "RestInterface",
    "RestRoute",
    "RouteQuery",
    "TraceIdFilter",
    "build_auto_routes",
    "default_fields",
    "parse_query",
]
