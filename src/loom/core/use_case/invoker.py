"""``ApplicationInvoker``: call use cases and entity CRUD by type, joining the caller's transaction.

Kept at this public path because the documented API imports it from here. Imports only the
standard library and ``loom.core``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any, Protocol

from loom.core.errors import ValidationError
from loom.core.model import model_info
from loom.core.query import CursorResult, PageResult, QuerySpec
from loom.core.repository.abc import RepoFor
from loom.core.transaction import Propagation


class InvocationHost(Protocol):
    """What the invoker needs of the kernel."""

    async def execute(
        self,
        use_case: type[Any],
        params: Mapping[str, Any] | None = None,
        payload: Any = None,
        *,
        query: QuerySpec | None = None,
    ) -> Any:
        """Run a use case in its transaction."""
        ...

    def for_model(self, model: type[Any]) -> RepoFor[Any]:
        """The repository use cases of ``model`` get."""
        ...

    def transaction(
        self, propagation: Propagation | str = ..., *, read_only: bool = ...
    ) -> contextlib.AbstractAsyncContextManager[Any]:
        """Open or join a transaction."""
        ...


class ApplicationInvoker:
    """Calls use cases by type and entities' CRUD by model, without coupling the callers.

    Every call joins the transaction open in the task (a workflow use case, a job callback)
    or opens its own.

    Example:
        >>> summary = await app.invoke(BuildProductSummaryUseCase,  # doctest: +SKIP
        ...                            params={"product_id": 5})
        >>> await app.entity(Product).update(params={"id": 5},  # doctest: +SKIP
        ...                                  payload={"category": "lamps"})
    """

    def __init__(self, host: InvocationHost) -> None:
        self._host = host

    async def invoke(
        self,
        use_case: type[Any],
        params: Mapping[str, Any] | None = None,
        payload: Any = None,
        *,
        query: QuerySpec | None = None,
    ) -> Any:
        """Run ``use_case`` with path/query ``params`` and a ``payload`` for its ``Input()``."""
        return await self._host.execute(use_case, params, payload, query=query)

    def entity(self, model: type[Any]) -> EntityInvoker:
        """CRUD on ``model`` through its repository (custom or default, cached or not)."""
        return EntityInvoker(self._host, model)


class EntityInvoker:
    """``get``/``list``/``create``/``update``/``delete`` of one model, by parameters."""

    def __init__(self, host: InvocationHost, model: type[Any]) -> None:
        self._host = host
        self._model = model
        self._pk = model_info(model).pk

    def _id(self, params: Mapping[str, Any] | None) -> Any:
        params = params or {}
        for key in (self._pk, "id", f"{model_info(self._model).table_name.rstrip('s')}_id"):
            if key in params:
                return params[key]
        raise ValidationError(
            f"{self._model.__name__}: params must give the key as {self._pk!r}; "
            f"got {sorted(params)}"
        )

    async def get(self, params: Mapping[str, Any] | None = None, profile: str = "default") -> Any:
        """The entity whose key is ``params["id"]``, or ``None``."""
        repo = self._host.for_model(self._model)
        async with self._host.transaction(read_only=True):
            return await repo.get_by_id(self._id(params), profile)

    async def list(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        query: QuerySpec | None = None,
        profile: str = "default",
    ) -> PageResult[Any] | CursorResult[Any]:
        """A page of entities (``query``, else the first default page)."""
        repo = self._host.for_model(self._model)
        async with self._host.transaction(read_only=True):
            return await repo.list_with_query(query or QuerySpec(), profile)

    async def create(self, payload: Any, params: Mapping[str, Any] | None = None) -> Any:
        """Create the entity from ``payload`` (merged with ``params``)."""
        repo = self._host.for_model(self._model)
        data = {**(params or {}), **_as_mapping(payload)}
        async with self._host.transaction():
            return await repo.create(data)

    async def update(self, params: Mapping[str, Any] | None = None, payload: Any = None) -> Any:
        """Change the fields of ``payload`` on the entity ``params["id"]``; ``None`` if missing."""
        repo = self._host.for_model(self._model)
        async with self._host.transaction():
            return await repo.update(self._id(params), payload or {})

    async def delete(self, params: Mapping[str, Any] | None = None) -> bool:
        """Delete the entity ``params["id"]``; ``False`` if it did not exist."""
        repo = self._host.for_model(self._model)
        async with self._host.transaction():
            return await repo.delete(self._id(params))


def _as_mapping(payload: Any) -> Mapping[str, Any]:
    if payload is None:
        return {}
    if isinstance(payload, Mapping):
        return payload
    to_patch = getattr(payload, "to_patch", None)
    if callable(to_patch):
        return dict(to_patch())
    fields = getattr(payload, "__struct_fields__", None)
    if fields is not None:
        return {name: getattr(payload, name) for name in fields}
    raise ValidationError(f"payload must be a mapping or a Struct, got {type(payload).__name__}")


AppInvoker = ApplicationInvoker
"""loom-kernel's name of the concrete invoker; Loom has one class."""
