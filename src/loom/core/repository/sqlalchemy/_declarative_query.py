"""``@query``: repository methods whose body is a SQL expression or statement.

A method decorated with ``@query(expr=...)`` or ``@query(sql=...)`` has no body (``...``): the
decorator binds its parameters by name to the ``:name`` placeholders, runs the statement in a
(read-only by default) transaction of the repository's session manager and builds the declared
return type from the rows. Everything that can be checked without a database is checked when
the class is created: one of ``expr``/``sql``, placeholders against parameters, the return
annotation against ``unique``/``paged``.

Example:
    >>> class UserRepository(RepositorySQLAlchemy[User, int]):  # doctest: +SKIP
    ...     @query(expr="email = :email", unique=True)
    ...     async def find_by_email(self, email: str) -> User | None: ...
    ...
    ...     @query(sql="SELECT id, email FROM users WHERE created_at >= :since", paged=True)
    ...     async def recent(
    ...         self, since: datetime, page: int = 1, limit: int = 50
    ...     ) -> PageResult[UserSummary]: ...
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import re
import types
import typing
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from loom.core.errors import ConfigError, FieldError, QueryError
from loom.core.query import MAX_PAGE_END
from loom.core.query._validate import page_end_message
from loom.core.repository.sqlalchemy._declarative_plan import QueryPlan, build_plan
from loom.core.repository.sqlalchemy._declarative_shape import (
    ResultShape,
    check_paged_sql,
    parse_shape,
)
from loom.core.repository.sqlalchemy._repository import RepositorySQLAlchemy

F = TypeVar("F", bound=Callable[..., Awaitable[Any]])

# The pattern sqlalchemy's text() uses for bind parameters, so that what is checked here is
# exactly what text() will bind (``::type`` casts and ``\:`` escapes are not placeholders).
PLACEHOLDER = re.compile(r"(?<![:\w\x5c]):(\w+)(?!:)", re.UNICODE)
_CAST_AFTER_PLACEHOLDER = re.compile(r"(?<![:\w\x5c]):(\w+)::(\w+)")
PAGING = ("page", "limit", "total")
_PLANS = "__loom_query_plans__"


def query(
    *,
    expr: str | None = None,
    sql: str | None = None,
    unique: bool = False,
    paged: bool = False,
    read_only: bool = True,
) -> Callable[[F], F]:
    """Turn a body-less async repository method into a declarative query.

    The body never runs: write ``...`` (mypy accepts it where the method may return ``None``;
    elsewhere write ``raise NotImplementedError``). Parameters bind by name to ``:name``
    placeholders; a list parameter expands for ``column IN :names``. Write casts as
    ``CAST(:day AS date)``: ``:day::date`` is not a placeholder to ``text()``.

    Args:
        expr: A WHERE clause over the repository's table; the query selects the model's
            columns, ordered by primary key.
        sql: A whole statement; its result columns map by name onto the return type.
        unique: Return one item (``X | None``: ``None`` without a row); more than one row is a
            ``LoomError`` with code ``"multiple_results"``.
        paged: Return a ``PageResult``; the method declares ``page: int = 1, limit: int = 50``
            (and optionally ``total: bool = False``, which adds a window count).
        read_only: Run in a read-only transaction (writes are refused). ``False`` allows
            ``UPDATE ... RETURNING`` and such; committed writes invalidate the entity's cache.

    Returns:
        A decorator for an ``async def`` method of a ``RepositorySQLAlchemy`` subclass.

    Raises:
        ConfigError: When the declaration cannot work (see the message for the fix).
    """

    def decorate(fn: F) -> F:
        return typing.cast(F, DeclarativeQuery(fn, expr, sql, unique, paged, read_only))

    return decorate


class DeclarativeQuery:
    """The descriptor ``@query`` puts on the class in place of the method.

    Attributes:
        expr: The WHERE clause, or ``None``.
        sql: The statement, or ``None``.
        unique: One item instead of a list.
        paged: A ``PageResult`` instead of a list.
        read_only: Run in a read-only transaction.
        placeholders: The ``:name`` placeholders, in order of first use.
        parameters: The method's bindable parameters (``self`` and paging ones excluded).
    """

    # Copied from the method by functools.update_wrapper, like any decorator's wrapper.
    __name__: str
    __wrapped__: Callable[..., Awaitable[Any]]

    def __init__(
        self,
        fn: Callable[..., Awaitable[Any]],
        expr: str | None,
        sql: str | None,
        unique: bool,
        paged: bool,
        read_only: bool,
    ) -> None:
        functools.update_wrapper(self, fn)
        self.function = fn
        self.name = fn.__qualname__
        self.expr, self.sql = expr, sql
        self.unique, self.paged, self.read_only = unique, paged, read_only
        if not inspect.iscoroutinefunction(fn):
            raise ConfigError(f"@query needs an async method; {self.name} is not `async def`")
        if (expr is None) == (sql is None):
            raise ConfigError(
                f"@query on {self.name}: give exactly one of expr= (a WHERE clause) or sql= "
                f"(a whole statement); got {'both' if expr is not None else 'neither'}"
            )
        text = expr if expr is not None else sql
        assert text is not None
        if not text.strip():
            raise ConfigError(f"@query on {self.name}: the {self._kind} is empty")
        if unique and paged:
            raise ConfigError(
                f"@query on {self.name}: unique=True and paged=True exclude each other; a page "
                "is a list of rows, a unique query returns one"
            )
        if paged and sql is not None:
            check_paged_sql(self.name, sql)
        self.signature = inspect.signature(fn)
        cast = _CAST_AFTER_PLACEHOLDER.search(text)
        if cast:
            raise ConfigError(
                f"@query on {self.name}: `:{cast[1]}::{cast[2]}` does not bind :{cast[1]} "
                f"(text() reads the colons as part of the name); write "
                f"CAST(:{cast[1]} AS {cast[2]}) instead"
            )
        self.placeholders = tuple(dict.fromkeys(PLACEHOLDER.findall(text)))
        self.parameters = self._check_parameters()
        self._shape: ResultShape | None = None
        with contextlib.suppress(NameError):
            # A forward reference (a class defined later in the module) resolves at first use.
            self._shape = self._resolve_shape()

    @property
    def _kind(self) -> str:
        return "expr" if self.expr is not None else "sql"

    def _check_parameters(self) -> tuple[str, ...]:
        params = list(self.signature.parameters.values())[1:]
        for p in params:
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                raise ConfigError(
                    f"@query on {self.name}: *{p.name} / **{p.name} cannot bind to placeholders; "
                    "declare one parameter per :placeholder"
                )
        names = [p.name for p in params]
        if self.paged:
            missing = [n for n in ("page", "limit") if n not in names]
            if missing:
                raise ConfigError(
                    f"@query on {self.name}: paged=True needs the parameters "
                    f"{' and '.join(missing)}; declare `page: int = 1, limit: int = 50`"
                )
            taken = [p for p in self.placeholders if p in PAGING]
            if taken:
                raise ConfigError(
                    f"@query on {self.name}: placeholder :{taken[0]} is reserved by paged=True "
                    "(Loom adds LIMIT/OFFSET itself); rename the placeholder and its parameter"
                )
            names = [n for n in names if n not in PAGING]
        shown = ", ".join(names) or "none"
        for placeholder in self.placeholders:
            if placeholder not in names:
                raise ConfigError(
                    f"@query on {self.name}: placeholder :{placeholder} in the {self._kind} has "
                    f"no parameter; parameters: {shown}. Add a parameter `{placeholder}` or fix "
                    "the placeholder's spelling"
                )
        for name in names:
            if name not in self.placeholders:
                used = ", ".join(f":{p}" for p in self.placeholders) or "none"
                raise ConfigError(
                    f"@query on {self.name}: parameter '{name}' is not used in the {self._kind} "
                    f"(placeholders: {used}); write :{name} where it belongs or remove the "
                    "parameter"
                )
        return tuple(names)

    def _resolve_shape(self) -> ResultShape:
        if "return" not in self.function.__annotations__:
            raise ConfigError(
                f"@query on {self.name}: declare the return type (`-> Model | None`, "
                "`-> list[Model]`, `-> PageResult[Model]`, `-> int`, ...); it decides the "
                "result shape"
            )
        # Only the return annotation: a parameter's may stay unresolved (it only types a bind).
        raw = self.function.__annotations__["return"]
        holder = types.SimpleNamespace(__annotations__={"return": raw})
        annotation = typing.get_type_hints(holder, globalns=self.function.__globals__)["return"]
        return parse_shape(
            self.name,
            annotation,
            unique=self.unique,
            paged=self.paged,
            from_expr=self.expr is not None,
        )

    @property
    def shape(self) -> ResultShape:
        """The result shape the return annotation declares."""
        if self._shape is None:
            try:
                self._shape = self._resolve_shape()
            except NameError as exc:
                raise ConfigError(
                    f"@query on {self.name}: the return annotation does not resolve ({exc}); "
                    "define the returned type at module level before the repository is used"
                ) from exc
        return self._shape

    @typing.overload
    def __get__(self, instance: None, owner: type[Any] | None = None) -> DeclarativeQuery: ...

    @typing.overload
    def __get__(
        self, instance: object, owner: type[Any] | None = None
    ) -> Callable[..., Awaitable[Any]]: ...

    def __get__(
        self, instance: object | None, owner: type[Any] | None = None
    ) -> DeclarativeQuery | Callable[..., Awaitable[Any]]:
        if instance is None:
            return self
        return types.MethodType(self, instance)

    def plan_for(self, repository: Any) -> QueryPlan:
        """The compiled plan of this query for one repository (built once per repository)."""
        if not isinstance(repository, RepositorySQLAlchemy):
            raise ConfigError(
                f"@query on {self.name}: {type(repository).__name__} is not a "
                "RepositorySQLAlchemy subclass; declarative queries take the table and the "
                "session manager from the repository, so declare the method on one"
            )
        plans: dict[int, QueryPlan] | None = repository.__dict__.get(_PLANS)
        if plans is None:
            plans = {}
            repository.__dict__[_PLANS] = plans
        plan = plans.get(id(self))
        if plan is None:
            plan = build_plan(self, repository, self.shape)
            plans[id(self)] = plan
        return plan

    async def __call__(self, repository: Any, /, *args: Any, **kwargs: Any) -> Any:
        plan = self.plan_for(repository)
        total = False
        if self.paged and "total" not in self.signature.parameters and "total" in kwargs:
            total = bool(kwargs.pop("total"))
        bound = self.signature.bind(repository, *args, **kwargs)
        bound.apply_defaults()
        values = dict(bound.arguments)
        if not self.paged:
            return await plan.run(repository, {n: values[n] for n in self.parameters})
        page = values.get("page", 1)
        limit = values.get("limit", 50)
        total = total or bool(values.get("total", False))
        self._check_page(page, limit, repository)
        params = {n: values[n] for n in self.parameters}
        return await plan.run_page(repository, params, page=page, limit=limit, total=total)

    def _check_page(self, page: Any, limit: Any, repository: Any) -> None:
        max_limit: int = getattr(repository, "_max_limit", 1000)
        if isinstance(page, bool) or not isinstance(page, int) or page < 1:
            message = f"page must be 1 or more, got {page!r}"
            raise QueryError(f"{self.name}: {message}", errors=[FieldError("page", message)])
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= max_limit:
            message = f"limit must be between 1 and {max_limit}, got {limit!r}"
            raise QueryError(f"{self.name}: {message}", errors=[FieldError("limit", message)])
        if page * limit > MAX_PAGE_END:
            message = page_end_message(page, limit)
            raise QueryError(f"{self.name}: {message}", errors=[FieldError("page", message)])
