"""Typed bind parameters for the ``:name`` placeholders of a ``@query``.

A placeholder compared with a known column (``created_at >= :since``, ``a.id IN :ids``) binds
with that column's type, so datetimes, UUIDs, decimals and enums bind the same way on SQLite and
PostgreSQL. Otherwise the parameter's annotation decides, and failing that the driver. Values
only ever reach the database as bind parameters.
"""

from __future__ import annotations

import re
import typing
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from loom.core.repository.sqlalchemy._declarative_shape import COLLECTIONS, result_type, strip_none

if TYPE_CHECKING:
    from loom.core.repository.sqlalchemy._declarative_query import DeclarativeQuery
    from loom.core.repository.sqlalchemy._repository import RepositorySQLAlchemy

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


def bind_params(
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
        base, _ = strip_none(annotation)
        is_collection = typing.get_origin(base) in COLLECTIONS or base in COLLECTIONS
        if is_collection and not isinstance(column_sa, sa.JSON):
            args = typing.get_args(base)
            element = column_sa or (result_type(args[0]) if args else None)
            binds.append(sa.bindparam(name, expanding=True, type_=element))
            continue
        sa_type = column_sa or (result_type(annotation) if annotation is not None else None)
        binds.append(
            sa.bindparam(name, type_=sa_type) if sa_type is not None else sa.bindparam(name)
        )
    return binds
