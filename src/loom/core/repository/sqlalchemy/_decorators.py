"""``transactional``, ``with_session_scope`` and ``get_session``."""

from __future__ import annotations

import contextvars
import functools
import inspect
import typing
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar, overload

from loom.core.errors import TransactionError
from loom.core.transaction import Propagation

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from loom.core.repository.sqlalchemy._session import SessionManager

P = ParamSpec("P")
T = TypeVar("T")
R = TypeVar("R")

current_session_manager: contextvars.ContextVar[SessionManager | None] = contextvars.ContextVar(
    "loom_session_manager", default=None
)
"""The session manager of the running kernel; ``transactional`` uses it when ``self`` has none."""

Method = Callable[Concatenate[Any, P], Awaitable[T]]


def _manager_of(owner: Any) -> SessionManager:
    for attr in ("session_manager", "_session_manager", "_sm"):
        manager = getattr(owner, attr, None)
        if manager is not None and hasattr(manager, "transaction"):
            return manager  # type: ignore[no-any-return]
    manager = current_session_manager.get()
    if manager is None:
        raise TransactionError(
            f"{type(owner).__name__}: no SessionManager to open a transaction with; give the "
            "object a `session_manager` attribute, run it inside a started kernel, or set "
            "loom.core.repository.sqlalchemy.current_session_manager"
        )
    return manager


@overload
def transactional(method: Method[P, T], /) -> Method[P, T]: ...


@overload
def transactional(
    *,
    propagation: Propagation | str = ...,
    read_only: bool = ...,
    isolation_level: str | None = ...,
) -> Callable[[Method[P, T]], Method[P, T]]: ...


def transactional(
    method: Method[P, T] | None = None,
    /,
    *,
    propagation: Propagation | str = Propagation.REQUIRED,
    read_only: bool = False,
    isolation_level: str | None = None,
) -> Method[P, T] | Callable[[Method[P, T]], Method[P, T]]:
    """Run an async method inside a transaction.

    Usable bare (``@transactional``) or with options
    (``@transactional(propagation="REQUIRES_NEW", read_only=True)``). The session manager is the
    object's ``session_manager`` attribute, else the running kernel's.

    Args:
        method: The method, when used bare.
        propagation: How to relate to a transaction already open (default ``REQUIRED``).
        read_only: Refuse writes.
        isolation_level: Isolation level of a newly opened transaction.

    Returns:
        The wrapped method, or a decorator.
    """
    mode = Propagation(propagation)

    def decorate(fn: Method[P, T]) -> Method[P, T]:
        if not inspect.iscoroutinefunction(fn):
            raise TypeError(f"@transactional needs an async method; {fn.__qualname__} is not")

        @functools.wraps(fn)
        async def wrapper(self: Any, *args: P.args, **kwargs: P.kwargs) -> T:
            manager = _manager_of(self)
            async with manager.transaction(
                mode, read_only=read_only, isolation_level=isolation_level
            ):
                return await fn(self, *args, **kwargs)

        return typing.cast(Method[P, T], wrapper)

    if method is not None:
        return decorate(method)
    return decorate


def with_session_scope(
    method: Callable[..., Awaitable[R]],
) -> Callable[..., Awaitable[R]]:
    """Give a custom repository method the current ``AsyncSession`` as ``session=``.

    The method joins the current transaction, or runs in its own (committed when it returns).

    Example:
        >>> class ProductRepository(RepositorySQLAlchemy[Product, int]):  # doctest: +SKIP
        ...     @with_session_scope
        ...     async def rename_all(self, prefix: str, *, session: AsyncSession) -> None:
        ...         await session.execute(...)
    """

    @functools.wraps(method)
    async def wrapper(self: Any, *args: Any, **kwargs: Any) -> R:
        manager = _manager_of(self)
        async with manager.transaction(Propagation.REQUIRED) as tx:
            assert tx is not None  # REQUIRED always yields a transaction
            await tx.connect()  # a lazy read-only transaction connects now
            kwargs["session"] = tx.session
            return await method(self, *args, **kwargs)

    return wrapper


def get_session(manager: SessionManager | None = None) -> AsyncSession:
    """The ``AsyncSession`` of the transaction open in this task.

    Raises:
        TransactionError: When no transaction is open.
    """
    manager = manager or current_session_manager.get()
    tx = manager.current() if manager is not None else None
    if tx is None:
        raise TransactionError(
            "get_session(): no transaction is open in this task; call it inside "
            "@transactional / `async with session_manager.transaction()`"
        )
    return tx.session
