"""The user API: users by auto-CRUD, and their addresses nested under ``/users/{user_id}``."""

from __future__ import annotations

from app.user.model import Address, User
from app.user.use_cases import (
    CreateAddressUseCase,
    DeleteAddressUseCase,
    GetAddressUseCase,
    ListAddressesUseCase,
    UpdateAddressUseCase,
)
from loom.rest.autocrud import build_auto_routes
from loom.rest.model import RestInterface, RestRoute


class UserRestInterface(RestInterface[User]):
    """``/users``."""

    prefix = "/users"
    tags = ("Users",)
    routes = build_auto_routes(User, ())


class AddressRestInterface(RestInterface[Address]):
    """``/users/{user_id}/addresses``: every route is scoped to its user."""

    prefix = "/users"
    tags = ("UserAddresses",)
    routes = (
        RestRoute(
            use_case=CreateAddressUseCase,
            method="POST",
            path="/{user_id}/addresses/",
            summary="Add an address to a user",
            status_code=201,
        ),
        RestRoute(
            use_case=ListAddressesUseCase,
            method="GET",
            path="/{user_id}/addresses/",
            summary="List a user's addresses",
        ),
        RestRoute(
            use_case=GetAddressUseCase,
            method="GET",
            path="/{user_id}/addresses/{address_id}",
            summary="Get one address of a user",
        ),
        RestRoute(
            use_case=UpdateAddressUseCase,
            method="PATCH",
            path="/{user_id}/addresses/{address_id}",
            summary="Update an address of a user",
        ),
        RestRoute(
            use_case=DeleteAddressUseCase,
            method="DELETE",
            path="/{user_id}/addresses/{address_id}",
            summary="Delete an address of a user",
        ),
    )
