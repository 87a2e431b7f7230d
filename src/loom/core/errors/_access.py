"""Refusals about who is calling and how often: 401, 403 and 429.

loom-kernel applications raise these by the names ``Unauthenticated``, ``Forbidden``,
``InsufficientAuthentication`` and ``RateLimited``; the signatures are the same.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import ClassVar

from loom.core.errors._errors import DomainError


class UnauthenticatedError(DomainError):
    """The action needs a verified caller and there is none (401, with a challenge)."""

    code = "unauthenticated"
    status = 401

    def __init__(
        self, message: str = "Authentication required", *, code: str | None = None
    ) -> None:
        super().__init__(message, code=code)


class InsufficientAuthenticationError(UnauthenticatedError):
    """The caller is authenticated, but not strongly or recently enough (401, step-up).

    Attributes:
        max_age: Seconds within which the caller must have authenticated, or ``None``.
        acr_values: Acceptable authentication context classes, in order of preference.
    """

    code = "insufficient_authentication"
    default_message: ClassVar[str] = "A different authentication level is required"

    def __init__(
        self,
        message: str = default_message,
        *,
        max_age: int | None = None,
        acr_values: Iterable[str] = (),
    ) -> None:
        if max_age is not None and (type(max_age) is not int or max_age < 0):
            raise ValueError(f"max_age must be a non-negative int, got {max_age!r}")
        if isinstance(acr_values, str | bytes):
            raise ValueError(
                f"acr_values takes an iterable of strings, not one string: {acr_values!r}; "
                "wrap it in a tuple"
            )
        values = tuple(acr_values)
        for value in values:
            if not isinstance(value, str) or not value or not _token(value):
                raise ValueError(
                    f"acr_values item {value!r} must be visible ASCII without spaces, quotes "
                    "or backslashes"
                )
        super().__init__(message)
        self.max_age = max_age
        self.acr_values: tuple[str, ...] = values


def _token(value: str) -> bool:
    return all("!" <= char <= "~" and char not in '"\\' for char in value)


class ForbiddenError(DomainError):
    """The caller may not do this (403).

    Attributes:
        reason: A machine-readable cause the client can act on (``"mfa_required"``), or ``None``.
        missing: The permissions the caller lacks, when the authorizer tells them.
    """

    code = "forbidden"
    status = 403

    def __init__(
        self,
        message: str = "Forbidden",
        *,
        reason: str | None = None,
        missing: Iterable[str] = (),
    ) -> None:
        if reason is not None and (not isinstance(reason, str) or not reason.strip()):
            raise ValueError(f"reason must be a non-blank string or None, got {reason!r}")
        if isinstance(missing, str | bytes):
            raise ValueError(
                f"missing takes an iterable of permissions, not one string: {missing!r}; "
                "wrap it in a tuple"
            )
        permissions = tuple(missing)
        if any(not isinstance(item, str) or not item.strip() for item in permissions):
            raise ValueError(f"missing must hold non-blank strings, got {permissions!r}")
        super().__init__(message)
        self.reason = reason
        self.missing: tuple[str, ...] = permissions


class RateLimitedError(DomainError):
    """The caller spent its budget (429, with ``Retry-After``).

    Attributes:
        retry_after: Whole seconds to wait before trying again (at least 1).
    """

    code = "rate_limited"
    status = 429

    def __init__(self, retry_after: float, message: str = "Too many requests.") -> None:
        if not math.isfinite(retry_after):
            raise ValueError(f"retry_after must be a finite number of seconds, got {retry_after}")
        super().__init__(message)
        self.retry_after = max(1, math.ceil(retry_after))


# loom-kernel's names for the same classes.
Unauthenticated = UnauthenticatedError
InsufficientAuthentication = InsufficientAuthenticationError
Forbidden = ForbiddenError
RateLimited = RateLimitedError
