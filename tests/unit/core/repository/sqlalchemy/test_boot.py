"""Boot failures of the database in one sentence: what failed, where, what to do."""

from __future__ import annotations

import errno
import socket

import pytest
from sqlalchemy import exc as sa_exc

from loom.core.errors import BootError
from loom.core.repository.sqlalchemy._boot import connect_error, safe_url, url_error, where

PG = "postgresql+asyncpg://shop:s3cret@db.internal:5433/shop"


def test_the_password_never_shows() -> None:
    assert "s3cret" not in safe_url(PG)
    assert where(PG) == "the PostgreSQL database 'shop' at db.internal:5433"
    assert where("sqlite+aiosqlite:///./data/app.db") == "the SQLite file ./data/app.db"
    assert "s3cret" not in str(url_error(PG, ModuleNotFoundError("x", name="asyncpg")))


@pytest.mark.parametrize(
    ("exc", "message"),
    [
        (
            ConnectionRefusedError(errno.ECONNREFUSED, "refused"),
            "the PostgreSQL database 'shop' at db.internal:5433 refused the connection",
        ),
        (TimeoutError(), "did not answer in time; check that it is up and reachable"),
        (socket.gaierror(-2, "Name or service not known"), "the host 'db.internal' is unknown"),
        (OSError(errno.EHOSTUNREACH, "No route to host"), "cannot be reached: [Errno 113]"),
        (RuntimeError("odd"), "failed at boot: odd"),
    ],
)
def test_connection_failures_say_what_to_do(exc: BaseException, message: str) -> None:
    error = connect_error(PG, exc)
    assert isinstance(error, BootError)
    assert message in str(error)
    assert "s3cret" not in str(error)


def test_the_driver_error_is_found_in_the_chain() -> None:
    outer = RuntimeError("pool checkout failed")
    outer.__cause__ = ConnectionRefusedError(errno.ECONNREFUSED, "refused")
    assert "refused the connection" in str(connect_error(PG, outer))


def test_wrong_urls_name_the_right_spelling() -> None:
    sync = url_error("postgresql://u@h/db", sa_exc.InvalidRequestError("not async"))
    assert "write postgresql+asyncpg://u@h/db" in str(sync)
    unknown = url_error("nosuch://h/db", sa_exc.NoSuchModuleError("nosuch"))
    assert "names the dialect 'nosuch', which SQLAlchemy does not know" in str(unknown)
    garbage = url_error("not a url", sa_exc.ArgumentError("Could not parse"))
    assert "is not a database URL" in str(garbage)
