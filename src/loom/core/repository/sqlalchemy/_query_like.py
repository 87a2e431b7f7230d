"""Pattern matching that means the same thing on PostgreSQL and SQLite.

``like``, ``startswith`` and ``contains`` are case-sensitive, as PostgreSQL's ``LIKE`` is.
SQLite's ``LIKE`` folds ASCII case, and ``PRAGMA case_sensitive_like`` is per connection (a
pooled connection may not have it), so on SQLite these compile to ``GLOB`` with the pattern
translated; ``GLOB`` compares characters exactly. Elsewhere they compile to
``LIKE ... ESCAPE '\\'``.

``ilike`` compiles to ``lower(column) LIKE lower(pattern)`` on every backend. Caveat: SQLite's
``lower()`` folds ASCII letters only, so on SQLite ``'É'`` does not match ``'é'``; PostgreSQL
folds them according to the database's ``LC_CTYPE``.

Patterns are always bound parameters (the callers pass them in): the user's text never becomes
SQL.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

from loom.core.query import LIKE_ESCAPE

_GLOB_SPECIAL = {"*": "[*]", "?": "[?]", "[": "[[]"}


def escape_like(text: str) -> str:
    """Escape plain text so a ``LIKE`` pattern matches it literally."""
    return (
        text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
        .replace("%", LIKE_ESCAPE + "%")
        .replace("_", LIKE_ESCAPE + "_")
    )


def like_to_glob(pattern: str) -> str:
    """Translate a ``LIKE`` pattern (``\\`` escapes) into an equivalent SQLite ``GLOB`` pattern.

    Args:
        pattern: A validated pattern: it does not end with a lone escape character.

    Returns:
        The ``GLOB`` pattern: ``%`` -> ``*``, ``_`` -> ``?``, and glob's own special
        characters matched literally.
    """
    out: list[str] = []
    chars = iter(pattern)
    for char in chars:
        if char == LIKE_ESCAPE:
            literal = next(chars, LIKE_ESCAPE)
            out.append(_GLOB_SPECIAL.get(literal, literal))
        elif char == "%":
            out.append("*")
        elif char == "_":
            out.append("?")
        else:
            out.append(_GLOB_SPECIAL.get(char, char))
    return "".join(out)


class CaseSensitiveLike(ColumnElement[bool]):
    """``column LIKE pattern`` compared case-sensitively on every backend.

    Holds two bound parameters, the ``LIKE`` pattern and its ``GLOB`` translation
    (:func:`like_to_glob`); each dialect renders the one it uses.
    """

    __visit_name__ = "loom_case_sensitive_like"
    inherit_cache = True
    _is_implicitly_boolean = True
    _traverse_internals = [  # noqa: RUF012 - SQLAlchemy's cache-key protocol reads a list
        ("column", InternalTraversal.dp_clauseelement),
        ("like_pattern", InternalTraversal.dp_clauseelement),
        ("glob_pattern", InternalTraversal.dp_clauseelement),
    ]
    type = sa.Boolean()

    def __init__(
        self,
        column: ColumnElement[Any],
        like_pattern: ColumnElement[str],
        glob_pattern: ColumnElement[str],
    ) -> None:
        self.column = column
        self.like_pattern = like_pattern
        self.glob_pattern = glob_pattern


@compiles(CaseSensitiveLike)
def _compile_like(element: CaseSensitiveLike, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    pattern = compiler.process(element.like_pattern, **kw)
    return f"{column} LIKE {pattern} ESCAPE '{LIKE_ESCAPE}'"


@compiles(CaseSensitiveLike, "sqlite")
def _compile_glob(element: CaseSensitiveLike, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    pattern = compiler.process(element.glob_pattern, **kw)
    return f"{column} GLOB {pattern}"


def case_sensitive_like(
    column: ColumnElement[Any], like: ColumnElement[str], glob: ColumnElement[str]
) -> ColumnElement[bool]:
    """``column`` matches the ``LIKE`` pattern ``like``, case-sensitively.

    ``glob`` must carry ``like_to_glob`` of the pattern: SQLite reads that one.
    """
    return CaseSensitiveLike(column, like, glob)


def case_insensitive_like(
    column: ColumnElement[Any], pattern: ColumnElement[str]
) -> ColumnElement[bool]:
    """``column`` matches the ``LIKE`` pattern, ignoring case (see the module caveat)."""
    return sa.func.lower(column).like(sa.func.lower(pattern), escape=LIKE_ESCAPE)
