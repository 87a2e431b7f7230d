"""The REST layer: interfaces, routes and auto-CRUD (framework-neutral), and its adapters.

``loom.rest`` and its modules import msgspec, the standard library and ``loom.core`` only;
``loom.rest.fastapi`` is the FastAPI adapter (``create_app``).

Example:
    >>> from loom.rest.autocrud import build_auto_routes
    >>> from loom.rest.model import PaginationMode, RestInterface, RestRoute
"""

from loom.rest._query import ListQuery, RouteQuery, default_fields, parse_query
from loom.rest.autocrud import build_auto_routes
from loom.rest.model import PaginationMode, RestInterface, RestRoute

__all__ = [
    "ListQuery",
    "PaginationMode",
    "RestInterface",
    "RestRoute",
    "RouteQuery",
    "build_auto_routes",
    "default_fields",
    "parse_query",
]
