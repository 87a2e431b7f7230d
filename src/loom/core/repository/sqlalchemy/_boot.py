"""Why the database cannot be used at boot, in one sentence: what failed, where, what to do.

A wrong ``database.url`` (unknown dialect, missing or synchronous driver, unparsable text) is a
:class:`ConfigError`; a database that cannot be reached or opened is a :class:`BootError`. The
messages never carry the password of the URL.
"""

from __future__ import annotations

import errno
import socket
from pathlib import Path
from typing import Any

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, make_url

from loom.core.errors import BootError, ConfigError, LoomError
from loom.core.repository.sqlalchemy._errors import _sqlstate

SUPPORTED = "postgresql+asyncpg://user:password@host:5432/db or sqlite+aiosqlite:///./app.db"

_ASYNC_DRIVERS = {"postgresql": "asyncpg", "sqlite": "aiosqlite"}


def _parse(url: str) -> URL | None:
    try:
        return make_url(url)
    except sa_exc.ArgumentError:
        return None


def safe_url(url: str) -> str:
    """``url`` with its password hidden."""
    parsed = _parse(url)
    return parsed.render_as_string(hide_password=True) if parsed is not None else url


_DISPLAY = {"postgresql": "PostgreSQL", "sqlite": "SQLite", "mysql": "MySQL"}


def where(url: str) -> str:
    """The database in the user's terms: ``the PostgreSQL database 'shop' at host:5432``, or
    ``the SQLite file ./app.db``."""
    parsed = _parse(url)
    if parsed is None:
        return f"the database {url!r}"
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return f"the SQLite file {parsed.database}" if parsed.database else "in-memory SQLite"
    host = parsed.host or "localhost"
    port = f":{parsed.port}" if parsed.port else ""
    name = f" {parsed.database!r}" if parsed.database else ""
    return f"the {_DISPLAY.get(backend, backend)} database{name} at {host}{port}"


def url_error(url: str, exc: BaseException) -> ConfigError:
    """The error for a ``database.url`` the engine cannot be built from."""
    shown = safe_url(url)
    parsed = _parse(url)
    if parsed is None or (isinstance(exc, sa_exc.ArgumentError) and "parse" in str(exc)):
        return ConfigError(
            f"database.url {shown!r} is not a database URL; write it as {SUPPORTED}",
            code="database_url_invalid",
        )
    backend, _, driver = parsed.drivername.partition("+")
    if isinstance(exc, sa_exc.NoSuchModuleError):
        return ConfigError(
            f"database.url {shown!r} names the dialect {parsed.drivername!r}, which SQLAlchemy "
            f"does not know; Loom runs on {SUPPORTED}",
            code="database_url_invalid",
        )
    suggested = _ASYNC_DRIVERS.get(backend)
    if suggested is not None and driver != suggested:
        # postgresql:// and sqlite:// mean synchronous drivers (installed or not).
        uses = f"the driver {driver!r}" if driver else f"{backend}'s default driver"
        return ConfigError(
            f"database.url {shown!r} uses {uses}, which is not async; the kernel needs an "
            f"async driver: write {backend}+{suggested}://{shown.partition('://')[2]}",
            code="database_url_invalid",
        )
    missing = exc.name if isinstance(exc, ModuleNotFoundError) else None
    if missing is not None and not driver:
        return ConfigError(
            f"database.url {shown!r} names no driver, and {backend}'s default one ({missing}, "
            "not installed) is not async; name an async driver (dialect+driver://...), or use "
            f"a database Loom is tested on: {SUPPORTED}",
            code="database_url_invalid",
        )
    if missing is not None:
        return ConfigError(
            f"database.url {shown!r} needs the driver module {missing!r}, which is not "
            f"installed; install it (pip install {missing}), or use a database Loom is tested "
            f"on: {SUPPORTED}",
            code="database_driver_missing",
        )
    if isinstance(exc, sa_exc.InvalidRequestError) and "async" in str(exc):
        return ConfigError(
            f"database.url {shown!r} names the synchronous driver {driver or backend!r}; the "
            f"kernel needs an async driver: {SUPPORTED}",
            code="database_url_invalid",
        )
    return ConfigError(
        f"database.url {shown!r} cannot be used: {_first_line(exc)}; write it as {SUPPORTED}",
        code="database_url_invalid",
    )


def connect_error(url: str, exc: BaseException) -> LoomError:
    """The error for a database that cannot be reached, logged into, or opened."""
    place = where(url)
    parsed = _parse(url)
    root = _root(exc)
    if isinstance(exc, LoomError) and not isinstance(root, OSError | sa_exc.DBAPIError):
        return exc
    if parsed is not None and parsed.get_backend_name() == "sqlite":
        return _sqlite_error(parsed, place, root)
    state = _sqlstate(getattr(root, "orig", root))
    user = parsed.username if parsed is not None else None
    if state in ("28P01", "28000"):
        return BootError(
            f"{place} refused the login of user {user!r}: "
            f"{_first_line(root)}; fix the user or password in database.url",
            code="database_login_refused",
        )
    if state == "3D000":
        name = parsed.database if parsed is not None else "?"
        return BootError(
            f"{place} does not exist; create it (createdb {name}) or fix the database name in "
            "database.url",
            code="database_missing",
        )
    if isinstance(root, socket.gaierror):
        host = parsed.host if parsed is not None else "?"
        return BootError(
            f"{place} cannot be reached: the host {host!r} is unknown (name resolution failed); "
            "fix the host in database.url",
            code="database_unreachable",
        )
    if isinstance(root, TimeoutError):
        return BootError(
            f"{place} did not answer in time; check that it is up and reachable, or fix "
            "database.url",
            code="database_unreachable",
        )
    if isinstance(root, ConnectionRefusedError) or _errno(root) == errno.ECONNREFUSED:
        return BootError(
            f"{place} refused the connection (is it running?); start it, or fix the host and "
            "port in database.url",
            code="database_unreachable",
        )
    if isinstance(root, OSError):
        return BootError(
            f"{place} cannot be reached: {_first_line(root)}; check that it is up and "
            "reachable, or fix database.url",
            code="database_unreachable",
        )
    return BootError(
        f"{place} failed at boot: {_first_line(root)}",
        code="database_failed",
    )


def _sqlite_error(parsed: URL, place: str, root: BaseException) -> BootError:
    path = Path(parsed.database or "")
    folder = path.parent
    if parsed.database and not folder.is_dir():
        return BootError(
            f"{place} cannot be opened: the folder {str(folder)!r} does not exist; create it, "
            "or fix the path in database.url",
            code="database_unreachable",
        )
    return BootError(
        f"{place} cannot be opened: {_first_line(root)}; check the file and its folder's "
        "permissions, or fix the path in database.url",
        code="database_unreachable",
    )


def _root(exc: BaseException) -> BaseException:
    """The most telling exception of ``exc``'s chain: a driver error or an OS error."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError | TimeoutError | sa_exc.DBAPIError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return exc


def _errno(exc: BaseException) -> int | None:
    return exc.errno if isinstance(exc, OSError) else None


def _first_line(exc: BaseException) -> str:
    original: Any = getattr(exc, "orig", None) or exc
    text = str(original).strip().splitlines()
    return text[0] if text else type(original).__name__
