"""What a ``@query`` method becomes for one repository: statements, bind types, row conversion.

Values reach the database only as bind parameters. A placeholder compared with a known column
(``created_at >= :since``) binds with that column's type, so datetimes, UUIDs, decimals and enums
bind the same way on SQLite and PostgreSQL; otherwise the parameter's annotation decides, and
failing that the driver. Result columns are typed from the return type (the model's columns, a
row Struct's fields, a scalar), so SQLite's text datetimes come back as aware datetimes.
"""

from __future__ import annotations

import collections.abc
import decimal
import re
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import msgspec
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Dialect, Row
from sqlalchemy.ext.asyncio import AsyncConnection

from loom.core.errors import ConfigError, LoomError, NotFoundError
from loom.core.events import MutationEvent
from loom.core.model import FieldInfo
from loom.core.model._fields import ColumnSpec
from loom.core.query import PageResult
from loom.core.repository.sqlalchemy._errors import translate
from loom.core.repository.sqlalchemy._types import SUPPORTED, column_type

if TYPE_CHECKING:
    from loom.core.repository.sqlalchemy._declarative_query import DeclarativeQuery
    from loom.core.repository.sqlalchemy._repository import RepositorySQLAlchemy

TOTAL = "_loom_total"
_LIMIT = "_loom_limit"
_OFFSET = "_loom_offset"
_COLLECTIONS = (
    list,
    tuple,
    set,
    frozenset,
    collections.abc.Sequence,
    collections.abc.Set,
    collections.abc.Collection,
    collections.abc.Iterable,
)

# A column reference, optionally qualified: users.email, "u"."email", email.
_IDENT = r'(?:"?(?P<q>\w+)"?\s*\.\s*)?"?(?P<col>\w+)"?'
_FORWARD = re.compile(
    _IDENT + r"\s*(?:=|==|!=|<>|<=|>=|<|>|(?:NOT\s+)?IN|IS\s+(?:NOT\s+)?DISTINCT\s+FROM)"
    r"\s*\(?\s*(?<![:\w]):(?P<p>\w+)",
    re.IGNORECASE,
)
_REVERSE = re.compile(r"(?<![:\w]):(?P<p>\w+)\s*(?:=|!=|<>|<=|>=|<|>)\s*" + _IDENT, re.IGNORECASE)
_BETWEEN = re.compile(
    _IDENT + r"\s+(?:NOT\s+)?BETWEEN\s+:(?P<p>\w+)\s+AND\s+:(?P<p2>\w+)", re.IGNORECASE
)
_FROM = re.compile(
    r'\b(?:FROM|JOIN|UPDATE|INTO)\s+"?(?P<table>\w+)"?(?:\s+(?:AS\s+)?"?(?P<alias>\w+)"?)?',
    re.IGNORECASE,
)
_PAGING_CLAUSE = re.compile(r"\b(?:LIMIT|OFFSET|FETCH)\b", re.IGNORECASE)


class _Integral(sa.TypeDecorator[int]):
    """An integer result: PostgreSQL's ``sum(bigint)`` is NUMERIC, read back as an int."""

    impl = sa.BigInteger
    cache_ok = True

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if isinstance(value, decimal.Decimal | float) and value == int(value):
            return int(value)
        return value


@dataclass(frozen=True, slots=True)
class ResultShape:
    """The result a ``@query`` method declares.

    Attributes:
        kind: ``"one"`` (``X`` / ``X | None``), ``"many"`` (``list[X]``) or ``"page"``
            (``PageResult[X]``).
        item: The item annotation as declared (``int | None`` inside a list stays so).
        base: The item type without ``None``.
        is_struct: Whether items are Structs (rows by column name) rather than scalars.
        optional: For ``"one"``: ``None`` when no row matches (else it is an error).
    """

    kind: Literal["one", "many", "page"]
    item: Any
    base: Any
    is_struct: bool
    optional: bool


def _strip_none(tp: Any) -> tuple[Any, bool]:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) != len(typing.get_args(tp)):
            return (args[0] if len(args) == 1 else typing.Union[tuple(args)]), True  # noqa: UP007
    return tp, False


def _field_info(name: str, tp: Any) -> FieldInfo:
    base, nullable = _strip_none(tp)
    return FieldInfo(name=name, type=tp, base_type=base, nullable=nullable, spec=ColumnSpec())


def _sa_type(tp: Any) -> sa.types.TypeEngine[Any] | None:
    base, _ = _strip_none(tp)
    if base is int:
        return _Integral()
    return column_type(_field_info("value", tp))


def parse_shape(
    name: str, annotation: Any, *, unique: bool, paged: bool, from_expr: bool
) -> ResultShape:
    """Read the result shape from a method's return annotation and check it fits the flags.

    Raises:
        ConfigError: When the annotation and ``unique``/``paged`` disagree, or the item type is
            neither a Struct nor a supported scalar.
    """
    origin = typing.get_origin(annotation)
    shown = getattr(annotation, "__name__", None) or repr(annotation)
    if origin is PageResult:
        kind: Literal["one", "many", "page"] = "page"
        item, optional = typing.get_args(annotation)[0], False
    elif origin in (list, collections.abc.Sequence):
        kind = "many"
        item, optional = typing.get_args(annotation)[0], False
    else:
        kind = "one"
        item, optional = _strip_none(annotation)
    if paged != (kind == "page"):
        fix = "declare `-> PageResult[...]`" if paged else "add paged=True"
        raise ConfigError(f"@query on {name}: paged={paged} but the return type is {shown}; {fix}")
    if kind == "one" and not unique:
        raise ConfigError(
            f"@query on {name}: the return type {shown} is a single value; add unique=True, "
            "or return list[...] for every row"
        )
    if kind == "many" and unique:
        raise ConfigError(
            f"@query on {name}: unique=True returns one item but the return type is {shown}; "
            "declare `-> Item | None` or drop unique=True"
        )
    base, _ = _strip_none(item)
    is_struct = isinstance(base, type) and issubclass(base, msgspec.Struct)
    if not is_struct and _sa_type(item) is None:
        raise ConfigError(
            f"@query on {name}: cannot build results of type {item!r}; return the model, a "
            f"msgspec Struct with fields named like the result columns, or a scalar ({SUPPORTED})"
        )
    if from_expr and not is_struct:
        raise ConfigError(
            f"@query on {name}: expr= selects the model's rows, so it cannot return the scalar "
            f"{item!r}; write the whole statement with sql= to select one value"
        )
    return ResultShape(kind=kind, item=item, base=base, is_struct=is_struct, optional=optional)


def check_paged_sql(name: str, sql: str) -> None:
    """A paged ``sql=`` must leave LIMIT/OFFSET to Loom."""
    if _PAGING_CLAUSE.search(sql):
        raise ConfigError(
            f"@query on {name}: paged=True adds LIMIT and OFFSET itself, but the statement "
            "already has LIMIT/OFFSET/FETCH; remove it, or drop paged=True and page by hand"
        )


class _Scope:
    """The tables a statement names, to find the column a placeholder is compared with."""

    def __init__(self, repository: RepositorySQLAlchemy[Any, Any], text: str, whole: bool):
        own = repository.table
        if not whole:
            self.names: dict[str, sa.Table] = {own.name: own}
            self.tables: list[sa.Table] = [own]
            return
        known = {c.table.name: c.table for c in repository._registry.models.values()}
        known[own.name] = own
        self.names, self.tables = {}, []
        for match in _FROM.finditer(text):
            table = known.get(match["table"])
            if table is None:
                continue
            self.names[table.name] = table
            if match["alias"]:
                self.names[match["alias"]] = table
            if table not in self.tables:
                self.tables.append(table)

    def column(self, qualifier: str | None, name: str) -> sa.Column[Any] | None:
        if qualifier is not None:
            table = self.names.get(qualifier)
            return table.c.get(name) if table is not None else None
        # An unqualified name is only unambiguous when exactly one named table has it.
        found = [t.c[name] for t in self.tables if name in t.c]
        return found[0] if len(found) == 1 else None


def _binds(
    decl: DeclarativeQuery, repository: RepositorySQLAlchemy[Any, Any]
) -> list[sa.BindParameter[Any]]:
    text = decl.expr if decl.expr is not None else decl.sql
    assert text is not None
    scope = _Scope(repository, text, whole=decl.sql is not None)
    compared: dict[str, list[sa.Column[Any]]] = {}
    for pattern in (_FORWARD, _REVERSE, _BETWEEN):
        for match in pattern.finditer(text):
            column = scope.column(match["q"], match["col"])
            if column is None:
                continue
            for key in ("p", "p2"):
                if key in match.re.groupindex and match[key]:
                    compared.setdefault(match[key], []).append(column)
    try:
        hints = typing.get_type_hints(decl.function)
    except NameError:
        # An annotation that does not resolve only costs the typed bind; the driver binds.
        hints = {}
    binds = []
    for name in decl.placeholders:
        annotation = hints.get(name)
        columns = compared.get(name, [])
        column_types = {type(c.type) for c in columns}
        column_sa = columns[0].type if len(column_types) == 1 else None
        base, _ = _strip_none(annotation)
        is_collection = typing.get_origin(base) in _COLLECTIONS or base in _COLLECTIONS
        if is_collection and not isinstance(column_sa, sa.JSON):
            args = typing.get_args(base)
            element = column_sa or (_sa_type(args[0]) if args else None)
            binds.append(sa.bindparam(name, expanding=True, type_=element))
            continue
        sa_type = column_sa or (_sa_type(annotation) if annotation is not None else None)
        binds.append(
            sa.bindparam(name, type_=sa_type) if sa_type is not None else sa.bindparam(name)
        )
    return binds


def _result_types(
    shape: ResultShape, repository: RepositorySQLAlchemy[Any, Any]
) -> dict[str, sa.types.TypeEngine[Any]]:
    if shape.base is repository.model:
        return {c.name: c.type for c in repository.table.c}
    found: dict[str, sa.types.TypeEngine[Any]] = {}
    for field in msgspec.structs.fields(shape.base):
        sa_type = _sa_type(field.type)
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
                result = await steps(tx.connection)
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
    binds = _binds(decl, repository)
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
        sa_type = _sa_type(shape.item)
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
