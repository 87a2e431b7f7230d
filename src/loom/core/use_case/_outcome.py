"""``Created``: what a use case returns when it may create or find a resource."""

from __future__ import annotations

import functools
import operator
import re
import string
import types
import typing
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")

_URI_CHARACTERS = frozenset(string.ascii_letters + string.digits + "-._~:/?#[]@!$&'()*+,;=%")
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


@dataclass(frozen=True, slots=True)
class Created(Generic[T]):
    """The use case created ``value``: the REST layer answers 201, with ``Location`` when given.

    A use case that either creates or finds declares ``T | Created[T]`` and returns
    ``Created(value, location=...)`` only when it created.

    Attributes:
        value: The created resource (the response body).
        location: URI of the created resource (absolute or relative), or ``None``.

    Raises:
        ValueError: ``location`` is empty or not a URI reference (RFC 3986 characters only).

    Example:
        >>> Created({"id": 1}, location="/items/1").location
        '/items/1'
    """

    value: T
    location: str | None = None

    def __post_init__(self) -> None:
        location = self.location
        if location is None:
            return
        if not isinstance(location, str):
            raise TypeError(f"Created.location must be a str, got {type(location).__name__}")
        if (
            not location
            or not _URI_CHARACTERS.issuperset(location)
            or _BAD_PERCENT.search(location)
        ):
            raise ValueError(
                f"Created.location {location!r} is not a URI reference; percent-encode other "
                "characters (RFC 3986)"
            )


def without_created(result_type: Any) -> Any:
    """``T`` for ``T | Created[T]`` (what the response body holds either way)."""
    origin = typing.get_origin(result_type)
    if origin is not typing.Union and origin is not types.UnionType:
        return result_type
    kept = [a for a in typing.get_args(result_type) if typing.get_origin(a) is not Created]
    kept = [a for a in kept if a is not Created]
    if len(kept) == len(typing.get_args(result_type)):
        return result_type
    return functools.reduce(operator.or_, kept) if kept else Any
