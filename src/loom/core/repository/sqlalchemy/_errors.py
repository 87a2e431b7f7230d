"""Translation of database errors into Loom errors, done once at the adapter edge."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Literal

from sqlalchemy import exc as sa_exc

from loom.core.errors import (
    ConflictError,
    FieldError,
    LoomError,
    TransactionError,
    UnavailableError,
    ValidationError,
)
from loom.core.model import ModelInfo

Operation = Literal["create", "update", "delete", "upsert", "read"]

_UNIQUE_SQLITE = re.compile(r"UNIQUE constraint failed: (?P<cols>[\w., ]+)")
_NOT_NULL_SQLITE = re.compile(r"NOT NULL constraint failed: [\w]+\.(?P<col>\w+)")
_PG_KEY = re.compile(r"Key \((?P<cols>[^)]+)\)=")


def _sqlstate(orig: Any) -> str | None:
    for attr in ("sqlstate", "pgcode"):
        value = getattr(orig, attr, None)
        if isinstance(value, str):
            return value
    cause = getattr(orig, "__cause__", None)
    return getattr(cause, "sqlstate", None) if cause is not None else None


def _pg_detail(orig: Any) -> tuple[str | None, str | None, str | None]:
    cause = getattr(orig, "__cause__", None) or orig
    return (
        getattr(cause, "constraint_name", None),
        getattr(cause, "detail", None),
        getattr(cause, "column_name", None),
    )


def translate(
    error: sa_exc.DBAPIError,
    info: ModelInfo,
    operation: Operation,
    fields: Iterable[str] = (),
) -> LoomError:
    """Turn a DBAPI error into the Loom error a caller can act on.

    Args:
        error: The error SQLAlchemy raised.
        info: The model the statement was about.
        operation: What the repository was doing.
        fields: The fields the statement wrote (to name a foreign key on SQLite).

    Returns:
        A :class:`ConflictError`, :class:`ValidationError` or :class:`UnavailableError`; the
        original error otherwise wrapped in a plain :class:`LoomError`.
    """
    orig = error.orig
    text = str(orig)
    state = _sqlstate(orig)
    if isinstance(error, sa_exc.IntegrityError):
        if state == "23505" or "UNIQUE constraint failed" in text:
            return _unique(info, text, orig)
        if state == "23503" or "FOREIGN KEY constraint failed" in text:
            return _foreign_key(info, operation, text, orig, fields)
        if state == "23502" or "NOT NULL constraint failed" in text:
            match = _NOT_NULL_SQLITE.search(text)
            column = match.group("col") if match else _pg_detail(orig)[2] or "?"
            return ValidationError(
                f"{info.name}: field '{column}' may not be null",
                errors=[FieldError(column, "may not be null; give a value")],
            )
        return ConflictError(f"{info.name}: the database refused the {operation}: {text}")
    if state == "25006":
        # PostgreSQL's own READ ONLY refusal: the same error SQLite's guard raises.
        return TransactionError(
            f"write attempted in a read-only transaction ({info.name}): {text}; open the "
            "transaction without read_only=True (or declare the use case read_only = False)"
        )
    if isinstance(error, sa_exc.DataError):
        # Class 22 (data exceptions): a value the column cannot hold (out of range, too long).
        return ValidationError(
            f"{info.name}: a value does not fit its column: {text}", code="invalid_value"
        )
    if _unavailable(error, orig, text):
        return UnavailableError(f"the database does not answer ({type(orig).__name__}): {text}")
    return LoomError(f"{info.name}: database error during {operation}: {text}")


_UNREACHABLE = (
    "connection refused",
    "could not connect",
    "connection is closed",
    "connection was closed",
    "server closed the connection",
    "terminating connection",
    "the database system is",
    "unable to open database",
    "database is locked",
    "too many connections",
    "timeout",
)


def _unavailable(error: sa_exc.DBAPIError, orig: Any, text: str) -> bool:
    """Whether the error says the server cannot be reached (not that the statement is wrong).

    SQLite reports statement mistakes ("no such table") as OperationalError too, so the class
    alone does not decide.
    """
    if isinstance(orig, OSError) or error.connection_invalidated:
        return True
    if isinstance(error, sa_exc.InterfaceError):
        return True
    lowered = text.lower()
    return isinstance(error, sa_exc.OperationalError) and any(m in lowered for m in _UNREACHABLE)


def out_of_range(info: ModelInfo, exc: OverflowError) -> ValidationError:
    """A value the driver cannot even send (SQLite integers beyond 64 bits)."""
    return ValidationError(
        f"{info.name}: a value is out of range for its column ({exc}); integers must fit in "
        "64 bits",
        code="invalid_value",
    )


def _unique(info: ModelInfo, text: str, orig: Any) -> ConflictError:
    columns: list[str] = []
    constraint, detail, _ = _pg_detail(orig)
    match = _UNIQUE_SQLITE.search(text)
    if match:
        columns = [c.strip().rpartition(".")[2] for c in match.group("cols").split(",")]
    elif detail and (key := _PG_KEY.search(detail)):
        columns = [c.strip() for c in key.group("cols").split(",")]
    shown = ", ".join(columns) or constraint or "a unique key"
    return ConflictError(
        f"{info.name} with this {shown} already exists",
        constraint=constraint,
        fields=columns,
        errors=[FieldError(c, "already exists") for c in columns],
    )


def _foreign_key(
    info: ModelInfo,
    operation: Operation,
    text: str,
    orig: Any,
    fields: Iterable[str],
) -> LoomError:
    constraint, detail, _ = _pg_detail(orig)
    if operation == "delete" or (detail and "is still referenced" in detail):
        return ConflictError(
            f"{info.name} cannot be deleted: other rows still reference it"
            + (f" ({constraint})" if constraint else ""),
            code="still_referenced",
            constraint=constraint,
        )
    written = set(fields)
    candidates = [
        name
        for name, column in info.columns.items()
        if column.spec.foreign_key and (not written or name in written)
    ]
    if detail and (key := _PG_KEY.search(detail)):
        candidates = [c.strip() for c in key.group("cols").split(",")]
    return ValidationError(
        f"{info.name}: {', '.join(candidates) or 'a reference'} names a row that does not exist",
        code="missing_reference",
        errors=[
            FieldError(
                name,
                f"no {info.columns[name].spec.foreign_key} matches this value"
                if name in info.columns and info.columns[name].spec.foreign_key
                else "references a row that does not exist",
            )
            for name in candidates
        ],
    )
