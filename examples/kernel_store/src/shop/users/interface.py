"""``/users``: auto-CRUD with offset pages."""

from __future__ import annotations

from loom.rest.autocrud import build_auto_routes
from loom.rest.model import PaginationMode, RestInterface
from shop.users.model import User


class UserRestInterface(RestInterface[User]):
    """Create, read, list, update and delete users."""

    prefix = "/users"
    tags = ("Users",)
    pagination_mode = PaginationMode.OFFSET
    filterable = ("email", "full_name")
    sortable = ("full_name", "email")
    routes = build_auto_routes(User, ())
