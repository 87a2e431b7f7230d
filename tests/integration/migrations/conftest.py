"""A throwaway application with migrations, driven through ``loom db`` as a user would.

Each test gets its own package (so that editing a model between two commands is seen: the
package is imported afresh for each command) and its own database: a SQLite file, or a
PostgreSQL schema. Commands run in process through typer's runner.
"""

from __future__ import annotations

import asyncio
import re
import sys
import textwrap
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine
from typer.testing import CliRunner, Result

from loom.cli import app
from tests.conftest import Database, _pg_admin

MODELS = """
from __future__ import annotations

import datetime as dt
import enum
import uuid
from decimal import Decimal
from typing import Literal

from loom.core.model import BaseModel, Check, ColumnField, Index, OnDelete, TimestampedModel


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


class Shelf(BaseModel):
    __tablename__ = "shelves"
    id: int = ColumnField(primary_key=True, autoincrement=True)
    code: str = ColumnField(length=20, unique=True)
    label: str | None = None


class Item(TimestampedModel):
    __tablename__ = "items"
    __table_args__ = (
        Index("shelf_id", "code"),
        Index("code", unique=True, where="retired_at IS NULL", name="ix_items_live_code"),
        Check("quantity < 1000000", name="sane_quantity"),
    )
    id: int = ColumnField(primary_key=True, autoincrement=True)
    shelf_id: int = ColumnField(foreign_key="shelves.id", on_delete=OnDelete.CASCADE, index=True)
    parent_id: int | None = ColumnField(
        foreign_key="items.id", on_delete=OnDelete.SET_NULL, nullable=True
    )
    code: str = ColumnField(length=32)
    color: Color = Color.RED
    kind: Literal["a", "bb"] = "a"
    price: Decimal = ColumnField(check="price >= 0")
    quantity: int = ColumnField(server_default="0")
    data: dict[str, int] = ColumnField(default_factory=dict)
    tags: list[str] = ColumnField(default_factory=list)
    token: uuid.UUID | None = None
    blob: bytes | None = None
    ratio: float = 0.0
    day: dt.date | None = None
    at: dt.time | None = None
    span: dt.timedelta | None = None
    flag: bool = False
    retired_at: dt.datetime | None = None
"""


@dataclass
class Project:
    """An application on disk: ``config/app.yaml``, ``src/<package>/models.py``."""

    root: Path
    package: str
    database: Database

    @property
    def config(self) -> Path:
        return self.root / "config" / "app.yaml"

    @property
    def versions(self) -> Path:
        return self.root / "config" / "migrations" / "versions"

    def write_config(self, **database: Any) -> None:
        self.config.parent.mkdir(parents=True, exist_ok=True)
        document = {
            "app": {
                "name": self.package,
                "code_path": "../src",
                "discovery": {"modules": {"include": [f"{self.package}.models"]}},
            },
            "database": {
                "url": self.database.url,
                "connect_args": self.database.connect_args,
                **database,
            },
            "security": {"cursor_secret": "migrations"},
        }
        self.config.write_bytes(msgspec.json.encode(document))

    def write_models(self, source: str) -> None:
        folder = self.root / "src" / self.package
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "__init__.py").write_text("")
        (folder / "models.py").write_text(textwrap.dedent(source))
        self.forget()

    def edit_models(self, old: str, new: str) -> None:
        path = self.root / "src" / self.package / "models.py"
        text = path.read_text()
        assert old in text, old
        path.write_text(text.replace(old, new, 1))
        self.forget()

    def forget(self) -> None:
        """Import the package afresh next time (discovery imports it by name)."""
        prefix = f"{self.package}."
        for name in [n for n in sys.modules if n == self.package or n.startswith(prefix)]:
            del sys.modules[name]

    def loom(self, *args: str) -> Result:
        """``loom db COMMAND CONFIG ARGS...``."""
        command, *rest = args
        return self.runner(["db", command, str(self.config), *rest])

    def runner(self, argv: list[str]) -> Result:
        """``loom ARGV...``, in this process, the package imported afresh."""
        self.forget()
        return CliRunner().invoke(app, argv)

    def ok(self, *args: str) -> str:
        result = self.loom(*args)
        assert result.exit_code == 0, result.output
        return result.output

    def revision_files(self) -> list[Path]:
        return sorted(self.versions.glob("*.py"))

    def revise(self, message: str, *options: str) -> tuple[Path, str]:
        """``loom db revision -m MESSAGE --autogenerate``: the file written and the output."""
        output = self.ok("revision", "-m", message, "--autogenerate", *options)
        found = re.search(r"^wrote (\S+) \(revision", output, re.MULTILINE)
        assert found is not None, output
        return Path(found[1]), output

    def snapshot(self) -> dict[str, Any]:
        return asyncio.run(snapshot(self.database))

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return asyncio.run(fetch(self.database, sql))

    def execute(self, *statements: str) -> None:
        asyncio.run(execute(self.database, *statements))


@pytest.fixture
def project(tmp_path: Path, db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[Project]:
    """The application of ``MODELS`` with an initialised migration folder, on ``db``."""
    monkeypatch.setattr(sys, "dont_write_bytecode", True)  # a model edited twice a second
    made = Project(tmp_path / "project", f"mig_app_{uuid.uuid4().hex[:10]}", db)
    made.write_config()
    made.write_models(MODELS)
    made.ok("init")
    yield made
    made.forget()


def engine_for(database: Database) -> Any:
    return create_async_engine(database.url, connect_args=database.connect_args)


async def fetch(database: Database, sql: str) -> list[tuple[Any, ...]]:
    engine = engine_for(database)
    try:
        async with engine.connect() as conn:
            return [tuple(row) for row in (await conn.execute(sa.text(sql))).all()]
    finally:
        await engine.dispose()


async def execute(database: Database, *statements: str) -> None:
    engine = engine_for(database)
    try:
        async with engine.begin() as conn:
            for statement in statements:
                await conn.execute(sa.text(statement))
    finally:
        await engine.dispose()


async def snapshot(database: Database, exclude: tuple[str, ...] = ("alembic_version",)) -> Any:
    """Tables, columns (type, nullability, default), keys, indexes and constraints."""
    engine = engine_for(database)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(_snapshot, exclude)
    finally:
        await engine.dispose()


def _snapshot(connection: Any, exclude: tuple[str, ...]) -> dict[str, Any]:
    inspector = sa.inspect(connection)
    dialect = connection.dialect.name
    tables: dict[str, Any] = {}
    for table in sorted(inspector.get_table_names()):
        if table in exclude:
            continue
        tables[table] = {
            "columns": [
                (c["name"], str(c["type"]), c["nullable"], _text(c.get("default")))
                for c in inspector.get_columns(table)
            ],
            "primary_key": _key(inspector.get_pk_constraint(table)),
            "foreign_keys": sorted(
                (
                    fk["name"],
                    tuple(fk["constrained_columns"]),
                    fk["referred_table"],
                    tuple(fk["referred_columns"]),
                    (fk.get("options") or {}).get("ondelete"),
                )
                for fk in inspector.get_foreign_keys(table)
            ),
            "indexes": sorted(
                (
                    ix["name"],
                    tuple(ix["column_names"]),
                    bool(ix["unique"]),
                    _text((ix.get("dialect_options") or {}).get(f"{dialect}_where")),
                )
                for ix in inspector.get_indexes(table)
            ),
            "unique": sorted(
                (uq["name"], tuple(uq["column_names"]))
                for uq in inspector.get_unique_constraints(table)
            ),
            "checks": sorted(
                (ck["name"], _text(ck["sqltext"])) for ck in inspector.get_check_constraints(table)
            ),
        }
    return tables


def _key(pk: Any) -> tuple[Any, ...]:
    return (pk.get("name"), tuple(pk.get("constrained_columns") or ()))


def _text(value: Any) -> str | None:
    return None if value is None else " ".join(str(value).split())


def code_ops(path: Path, function: str = "upgrade") -> list[tuple[str, str]]:
    """The operations of a revision's ``upgrade()`` (or ``downgrade()``): each ``op.`` or
    ``batch_op.`` statement with the first name it quotes (table, column, index or constraint).
    """
    text = path.read_text()
    body = text.split(f"def {function}() -> None:", 1)[1].split("\ndef ", 1)[0]
    found = []
    for match in re.finditer(r"^\s*(?:batch_)?op\.(\w+)\((.*)$", body, re.MULTILINE):
        quoted = re.search(r"['\"](\w+)['\"]", match[2])
        found.append((match[1], quoted[1] if quoted else ""))
    return found


@pytest.fixture
async def second_database(db: Database, tmp_path: Path) -> AsyncIterator[Database]:
    """Another database of ``db``'s kind (for a schema made by create_all)."""
    if not db.is_postgres:
        yield Database(kind="sqlite", url=f"sqlite+aiosqlite:///{tmp_path / 'other.db'}")
        return
    schema = f"loom_t_{uuid.uuid4().hex[:12]}"
    await _pg_admin(f'CREATE SCHEMA "{schema}"')
    try:
        yield Database(
            kind="postgresql",
            url=db.url,
            connect_args={"server_settings": {"search_path": schema}},
            schema=schema,
        )
    finally:
        await _pg_admin(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
