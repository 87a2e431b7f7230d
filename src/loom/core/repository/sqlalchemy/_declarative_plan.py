"""What a ``@query`` method becomes for one repository: statements and row conversion.

Result columns are typed from the return type (the model's columns, a row Struct's fields, a
scalar), so SQLite's text datetimes and 0/1 booleans come back as aware datetimes and bools.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import msgspec
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from loom.core.errors import LoomError, NotFoundError
from loom.core.events import MutationEvent
from loom.core.query import PageResult
from loom.core.repository.sqlalchemy._declarative_binds import bind_params
from loom.core.repository.sqlalchemy._declarative_shape import ResultShape, result_type
from loom.core.repository.sqlalchemy._errors import translate

if TYPE_CHECKING:
    from loom.core.repository.sqlalchemy._declarative_query import DeclarativeQuery
    from loom.core.repository.sqlalchemy._repository import RepositorySQLAlchemy

TOTAL = "_loom_total"
_LIMIT = "_loom_limit"
_OFFSET = "_loom_offset"


def _result_types(
    shape: ResultShape, repository: RepositorySQLAlchemy[Any, Any]
) -> dict[str, sa.types.TypeEngine[Any]]:
    if shape.base is repository.model:
        return {c.name: c.type for c in repository.table.c}
    found: dict[str, sa.types.TypeEngine[Any]] = {}
    for field in msgspec.structs.fields(shape.base):
        sa_type = result_type(field.type)
        if sa_type is not None:
            found[field.encode_name] = sa_type
    return found


def _converter(
    shape: ResultShape, repository: RepositorySQLAlchemy[Any, Any], *, model_row: bool
) -> Callable[[Row[Any]], Any]:
    if not shape.is_struct:
        target = shape.item
        if shape.kind == "one" and shape.optional:
            target = typing.Optional[shape.base]  # noqa: UP045 - built at run time
        return lambda row: msgspec.convert(row[0], target, strict=False)
    if model_row and shape.base is repository.model:
        return repository.to_model
    target = shape.base

    def convert(row: Row[Any]) -> Any:
        # Column names are sqlalchemy's quoted_name, a str subclass msgspec refuses as a key.
        data = {str(k): v for k, v in zip(row._fields, row, strict=True) if k != TOTAL}
        return msgspec.convert(data, target, strict=False)

    return convert


@dataclass(frozen=True, slots=True)
class QueryPlan:
    """A declarative query compiled for one repository.

    Attributes:
        name: The method's qualified name, for messages.
        shape: The declared result shape.
        read_only: Run in a read-only transaction.
        statement: The statement (for paged queries: one page, ``limit + 1`` rows).
        total_statement: The page with a ``count(*) OVER ()`` column (paged queries).
        count_statement: ``SELECT count(*)`` of the matches, for a page past the end.
        convert: Builds one result item from a row.
    """

    name: str
    shape: ResultShape
    read_only: bool
    statement: sa.Executable
    total_statement: sa.Executable | None
    count_statement: sa.Executable | None
    convert: Callable[[Row[Any]], Any]

    async def _execute(
        self,
        repository: RepositorySQLAlchemy[Any, Any],
        steps: Callable[[AsyncConnection], typing.Awaitable[Any]],
    ) -> Any:
        async with repository.session_manager.transaction(read_only=self.read_only) as tx:
            assert tx is not None  # REQUIRED always yields a transaction
            try:
                result = await steps(await tx.connect())
            except sa_exc.DBAPIError as exc:
                op: Literal["read", "update"] = "read" if self.read_only else "update"
                raise translate(exc, repository.info, op) from exc
            if not self.read_only:
                # The statement is opaque: say the whole entity changed so no cache serves a
                # value the write made stale.
                tx.uow.record(MutationEvent(repository.info.entity, "updated"))
            return result

    def _items(self, rows: Sequence[Row[Any]]) -> list[Any]:
        try:
            return [self.convert(row) for row in rows]
        except msgspec.ValidationError as exc:
            raise LoomError(
                f"{self.name}: a result row does not fit {self.shape.item!r}: {exc}; make the "
                "statement return columns named (and typed) like the fields of the return type",
                code="invalid_result",
            ) from exc

    async def run(
        self, repository: RepositorySQLAlchemy[Any, Any], params: Mapping[str, Any]
    ) -> Any:
        """Run a list or unique query with the method's bound arguments."""

        async def steps(conn: AsyncConnection) -> Sequence[Row[Any]]:
            return (await conn.execute(self.statement, dict(params))).all()

        rows: Sequence[Row[Any]] = await self._execute(repository, steps)
        if self.shape.kind == "many":
            return self._items(rows)
        if len(rows) > 1:
            raise LoomError(
                f"{self.name}: unique=True expects at most one row, the query returned "
                f"{len(rows)}; narrow the condition or drop unique=True and return a list",
                code="multiple_results",
            )
        if not rows:
            if self.shape.optional:
                return None
            raise NotFoundError(
                f"{self.name}: no row matched; declare the return type as "
                f"`{getattr(self.shape.base, '__name__', self.shape.base)} | None` to get None"
            )
        return self._items(rows)[0]

    async def run_page(
        self,
        repository: RepositorySQLAlchemy[Any, Any],
        params: Mapping[str, Any],
        *,
        page: int,
        limit: int,
        total: bool,
    ) -> PageResult[Any]:
        """Run one page: ``limit + 1`` rows tell ``has_next``; ``total`` adds a window count."""
        values = {**params, _LIMIT: limit + 1, _OFFSET: (page - 1) * limit}
        statement = self.total_statement if total else self.statement
        count_statement = self.count_statement
        assert statement is not None
        assert count_statement is not None

        async def steps(conn: AsyncConnection) -> tuple[Sequence[Row[Any]], Any]:
            rows = (await conn.execute(statement, values)).all()
            count: int | None = None
            if total and rows:
                count = int(rows[0]._mapping[TOTAL])
            elif total and page == 1:
                count = 0
            elif total:
                # Past the last page no row carries the window count: ask for it.
                count = int((await conn.execute(count_statement, dict(params))).scalar_one())
            return rows, count

        rows, count = await self._execute(repository, steps)
        return PageResult(
            items=self._items(rows[:limit]),
            total_count=count,
            page=page,
            limit=limit,
            has_next=len(rows) > limit,
        )


def build_plan(
    decl: DeclarativeQuery, repository: RepositorySQLAlchemy[Any, Any], shape: ResultShape
) -> QueryPlan:
    """Compile ``decl`` against the repository's table (once per repository)."""
    binds = bind_params(decl, repository)
    page_binds = (
        sa.bindparam(_LIMIT, type_=sa.Integer()),
        sa.bindparam(_OFFSET, type_=sa.Integer()),
    )
    paged = shape.kind == "page"
    if decl.expr is not None:
        table = repository.table
        where = sa.text(decl.expr).bindparams(*binds)
        order = [table.c[name] for name in repository.info.primary_key]
        select = sa.select(*table.c).where(where).order_by(*order)
        statement: sa.Executable = select
        total = count = None
        if paged:
            statement = select.limit(page_binds[0]).offset(page_binds[1])
            total = (
                select.add_columns(sa.func.count().over().label(TOTAL))
                .limit(page_binds[0])
                .offset(page_binds[1])
            )
            count = sa.select(sa.func.count()).select_from(table).where(where)
        return QueryPlan(
            name=decl.name,
            shape=shape,
            read_only=decl.read_only,
            statement=statement,
            total_statement=total,
            count_statement=count,
            convert=_converter(shape, repository, model_row=not paged),
        )
    assert decl.sql is not None
    body = decl.sql.strip().rstrip(";").rstrip()

    def typed(text: str, *extra: sa.BindParameter[Any]) -> sa.TextualSelect:
        clause = sa.text(text).bindparams(*binds, *extra)
        if shape.is_struct:
            return clause.columns(**_result_types(shape, repository))
        sa_type = result_type(shape.item)
        assert sa_type is not None  # parse_shape accepted the scalar
        # Positional: a scalar is the first column, whatever the statement calls it.
        return clause.columns(sa.column("value", sa_type))

    statement = typed(body)
    total_sql = count_sql = None
    if paged:
        statement = typed(f"{body} LIMIT :{_LIMIT} OFFSET :{_OFFSET}", *page_binds)
        # The subquery keeps the statement's ORDER BY: neither SQLite nor PostgreSQL reorders a
        # plain scan of it, and an empty OVER () window does not sort.
        total_sql = typed(
            f"SELECT _loom_q.*, count(*) OVER () AS {TOTAL} FROM ({body}) AS _loom_q "
            f"LIMIT :{_LIMIT} OFFSET :{_OFFSET}",
            *page_binds,
        )
        count_sql = sa.text(f"SELECT count(*) FROM ({body}) AS _loom_q").bindparams(*binds)
    return QueryPlan(
        name=decl.name,
        shape=shape,
        read_only=decl.read_only,
        statement=statement,
        total_statement=total_sql,
        count_statement=count_sql,
        convert=_converter(shape, repository, model_row=False),
    )
