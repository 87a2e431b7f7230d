"""Commands of the user and address use cases."""

from __future__ import annotations

import msgspec

from loom.core.command import Command, Patch


class CreateUserAddress(Command, frozen=True):
    """The body of ``POST /users/{user_id}/addresses/``."""

    label: str
    street: str
    city: str
    country: str
    zip_code: str


class CreateAddressRecord(msgspec.Struct, frozen=True, kw_only=True):
    """What the repository stores: the command plus the owner taken from the path."""

    user_id: int
    label: str
    street: str
    city: str
    country: str
    zip_code: str


class UpdateAddress(Command, frozen=True):
    """The body of ``PATCH /users/{user_id}/addresses/{address_id}``."""

    label: Patch[str] = None
    street: Patch[str] = None
    city: Patch[str] = None
    country: Patch[str] = None
    zip_code: Patch[str] = None
