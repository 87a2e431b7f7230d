"""A small app beside the store: auth dependencies and a use case that crashes."""

from __future__ import annotations

from fastapi import Depends, Header, HTTPException

from app.product.model import Product
from loom.core.errors import UnavailableError
from loom.core.use_case.use_case import UseCase
from loom.rest.autocrud import build_auto_routes
from loom.rest.model import RestInterface, RestRoute


async def require_token(x_token: str = Header()) -> None:
    """Refuse requests without the right token."""
    if x_token != "secret":
        raise HTTPException(status_code=401, detail="bad token", headers={"WWW-Authenticate": "x"})


async def require_admin() -> None:
    """Refuse everyone (a route-level dependency)."""
    raise HTTPException(status_code=403, detail="admins only")


class CrashUseCase(UseCase[Product, Product]):
    """A bug: raises an unexpected exception."""

    read_only = True

    async def execute(self) -> Product:
        raise RuntimeError("secret internals")


class DownUseCase(UseCase[Product, Product]):
    """A server Loom depends on does not answer."""

    read_only = True

    async def execute(self) -> Product:
        raise UnavailableError("the search server does not answer; retry later")


class GuardedInterface(RestInterface[Product]):
    """Products behind a token, with a route for admins and two failing routes."""

    prefix = "/guarded"
    tags = ("Guarded",)
    dependencies = (Depends(require_token),)
    filterable = ("sku", "stock")
    sortable = ("stock",)
    routes = (
        RestRoute(use_case=CrashUseCase, method="GET", path="/crash"),
        RestRoute(use_case=DownUseCase, method="GET", path="/down"),
        RestRoute(
            use_case=CrashUseCase,
            method="POST",
            path="/admin",
            dependencies=(Depends(require_admin),),
        ),
        *build_auto_routes(Product, ("list", "get")),
    )
