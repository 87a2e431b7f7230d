"""Capability protocols every repository implementation satisfies.

Inputs may be a msgspec Struct (a model or a command) or a mapping; outputs are model Structs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, TypeVar, runtime_checkable

from loom.core.query import (
    CursorResult,
    FilterGroup,
    FilterParams,
    PageParams,
    PageResult,
    QuerySpec,
)

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)

Payload = Any
"""A Struct or a mapping of field names to values."""


@runtime_checkable
class Readable(Protocol[T_co]):
    """Reads one row."""

    async def get_by_id(self, obj_id: Any, profile: str = "default") -> T_co | None:
        """Return the row with this primary key, or ``None``."""
        ...

    async def get_by(self, field: str, value: Any, profile: str = "default") -> T_co | None:
        """Return the first row whose ``field`` equals ``value``, or ``None``."""
        ...

    async def exists_by(self, field: str, value: Any) -> bool:
        """Whether a row whose ``field`` equals ``value`` exists."""
        ...


@runtime_checkable
class Creatable(Protocol[T]):
    """Inserts rows."""

    async def create(self, data: Payload) -> T:
        """Insert one row and return it as stored."""
        ...

    async def create_many(self, items: Sequence[Payload]) -> list[T]:
        """Insert many rows in batched statements and return them as stored."""
        ...


@runtime_checkable
class Updatable(Protocol[T_co]):
    """Updates rows."""

    async def update(self, obj_id: Any, data: Payload) -> T_co | None:
        """Change the fields present in ``data``; ``None`` when the row does not exist."""
        ...


@runtime_checkable
class Deletable(Protocol[T_co]):
    """Deletes rows."""

    async def delete(self, obj_id: Any) -> bool:
        """Delete the row; ``False`` when it did not exist."""
        ...


@runtime_checkable
class Listable(Protocol[T]):
    """Lists rows with filters, sorting and pagination."""

    async def list_paginated(
        self,
        page_params: PageParams,
        filter_params: FilterParams | None = None,
        profile: str = "default",
    ) -> PageResult[T]:
        """Return one offset page of rows matching equality filters."""
        ...

    async def list_with_query(
        self, query: QuerySpec, profile: str = "default"
    ) -> PageResult[T] | CursorResult[T]:
        """Return one page (offset or cursor, by ``query.pagination``)."""
        ...


@runtime_checkable
class Countable(Protocol[T_co]):
    """Counts rows."""

    async def count(self, filters: FilterGroup | Mapping[str, Any] | None = None) -> int:
        """Count rows matching the filters (all rows without)."""
        ...


@runtime_checkable
class Upsertable(Protocol[T_co]):
    """Inserts or updates on a unique key."""

    async def upsert(self, data: Payload, *, conflict_on: Sequence[str] | None = None) -> T_co:
        """Insert, or update the row that has the same ``conflict_on`` values."""
        ...


@runtime_checkable
class RepoFor(
    Readable[T],
    Creatable[T],
    Updatable[T],
    Deletable[T],
    Listable[T],
    Countable[T],
    Upsertable[T],
    Protocol[T],
):
    """Every standard capability for one model; extend it for a custom repository contract."""


Repository = RepoFor
"""The full repository port (an alias of :class:`RepoFor`)."""

# repository_for registers a class under the protocols it lists as bases, except these (every
# repository has them; RepoFor[Model] is registered anyway).
# A set rather than a marker attribute: an attribute would become a protocol member.
_BUILTIN: tuple[type[Any], ...] = (
    Readable,
    Creatable,
    Updatable,
    Deletable,
    Listable,
    Countable,
    Upsertable,
    RepoFor,
)
BUILTIN_PROTOCOLS = frozenset(_BUILTIN)


OutputT = TypeVar("OutputT")
_Output_co = TypeVar("_Output_co", covariant=True)
CreateT = TypeVar("CreateT", contravariant=True)
UpdateT = TypeVar("UpdateT", contravariant=True)
IdT = TypeVar("IdT", contravariant=True)


@runtime_checkable
class BulkCreatable(Protocol[T]):
    """Inserts many rows at once (every Loom repository can)."""

    async def create_many(self, items: Sequence[Payload]) -> list[T]:
        """Insert many rows in batched statements and return them as stored."""
        ...


@runtime_checkable
class RepositoryRead(Protocol[OutputT, IdT]):
    """The read half of a repository (loom-kernel's split of the port)."""

    async def get_by_id(self, obj_id: IdT, profile: str = "default") -> OutputT | None:
        """Return the row with this primary key, or ``None``."""
        ...

    async def get_by(self, field: str, value: Any, profile: str = "default") -> OutputT | None:
        """Return the first row whose ``field`` equals ``value``, or ``None``."""
        ...

    async def exists_by(self, field: str, value: Any) -> bool:
        """Whether a row whose ``field`` equals ``value`` exists."""
        ...

    async def count(self, filters: FilterGroup | Mapping[str, Any] | None = None) -> int:
        """Count rows matching the filters (all rows without)."""
        ...

    async def list_paginated(
        self,
        page_params: PageParams,
        filter_params: FilterParams | None = None,
        profile: str = "default",
    ) -> PageResult[OutputT]:
        """One offset page filtered by equality."""
        ...

    async def list_with_query(
        self, query: QuerySpec, profile: str = "default"
    ) -> PageResult[OutputT] | CursorResult[OutputT]:
        """One page of a full query."""
        ...


@runtime_checkable
class RepositoryWrite(Protocol[_Output_co, CreateT, UpdateT, IdT]):
    """The write half of a repository (loom-kernel's split of the port)."""

    async def create(self, data: CreateT) -> _Output_co:
        """Insert one row and return it as stored."""
        ...

    async def update(self, obj_id: IdT, data: UpdateT) -> _Output_co | None:
        """Change the sent fields of one row; ``None`` if it does not exist."""
        ...

    async def delete(self, obj_id: IdT) -> bool:
        """Delete one row; ``False`` if it did not exist."""
        ...
