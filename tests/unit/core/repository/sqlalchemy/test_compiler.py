"""The model compiler: column types, keys, constraints, and models that cannot compile."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from loom.core.errors import ConfigError
from loom.core.model import BaseModel, ColumnField, OnDelete, TimestampedModel
from loom.core.repository.sqlalchemy import compile_model, new_base, registry_for


class Article(TimestampedModel):
    __tablename__ = "articles"
    id: int = ColumnField(primary_key=True, autoincrement=True)
    title: str = ColumnField(length=200, index=True)
    body: str
    slug: str = ColumnField(length=80, unique=True)
    price: Decimal = ColumnField(default=Decimal("0"))
    score: float = 0.0
    published: bool = False
    day: dt.date | None = None
    token: UUID | None = None
    state: Literal["draft", "live"] = "draft"
    meta: dict[str, Any] = ColumnField(default_factory=dict)


class Comment(BaseModel):
    __tablename__ = "comments"
    id: int = ColumnField(primary_key=True, autoincrement=True)
    article_id: int = ColumnField(foreign_key="articles.id", on_delete=OnDelete.CASCADE)


def ddl(table: sa.Table, dialect: sa.engine.Dialect) -> str:
    return str(sa.schema.CreateTable(table).compile(dialect=dialect))


def test_columns_follow_the_field_types() -> None:
    base = new_base()
    table = compile_model(Article, base).table
    sql = ddl(table, postgresql.dialect())  # type: ignore[no-untyped-call]
    assert "title VARCHAR(200) NOT NULL" in sql
    assert "body TEXT NOT NULL" in sql
    assert "price NUMERIC NOT NULL" in sql
    assert "score DOUBLE PRECISION NOT NULL" in sql
    assert "published BOOLEAN NOT NULL" in sql
    assert "day DATE," in sql
    assert "day DATE NOT NULL" not in sql
    assert "token UUID" in sql
    assert "state VARCHAR(5) NOT NULL" in sql
    assert "meta JSONB NOT NULL" in sql
    assert "created_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL" in sql
    assert "UNIQUE (slug)" in sql
    assert {index.name for index in table.indexes} == {"ix_articles_title"}


def test_sqlite_integer_key_aliases_the_rowid() -> None:
    table = compile_model(Article, new_base()).table
    assert "id INTEGER NOT NULL" in ddl(table, sqlite.dialect())


def test_foreign_keys_carry_on_delete() -> None:
    base = new_base()
    registry_for(base).compile_all([Article, Comment])
    (fk,) = compile_model(Comment, base).table.c.article_id.foreign_keys
    assert fk.target_fullname == "articles.id"
    assert fk.ondelete == "CASCADE"


def test_each_base_has_its_own_tables() -> None:
    first, second = new_base(), new_base()
    assert compile_model(Article, first).table is not compile_model(Article, second).table
    assert compile_model(Article, first) is compile_model(Article, first)


def test_a_foreign_key_to_an_unknown_table_names_model_and_field() -> None:
    base = new_base()
    with pytest.raises(ConfigError, match=r"model Comment, field 'article_id'.*'articles.id'"):
        registry_for(base).compile_all([Comment])


def test_an_unsupported_type_names_model_field_and_supported_types() -> None:
    class Odd(BaseModel):
        id: int = ColumnField(primary_key=True)
        shape: complex

    with pytest.raises(ConfigError, match=r"model Odd, field 'shape'.*supported: int, str"):
        compile_model(Odd, new_base())


def test_two_primary_keys_must_be_declared_composite() -> None:
    class Pair(BaseModel):
        left: int = ColumnField(primary_key=True)
        right: int = ColumnField(primary_key=True)

    with pytest.raises(ConfigError, match=r"__primary_key__ = \('left', 'right'\)"):
        compile_model(Pair, new_base())

    class Declared(BaseModel):
        __primary_key__ = ("left", "right")
        left: int = ColumnField(primary_key=True)
        right: int = ColumnField(primary_key=True)

    table = compile_model(Declared, new_base()).table
    assert [c.name for c in table.primary_key.columns] == ["left", "right"]


def test_a_model_without_a_key_is_refused() -> None:
    class Keyless(BaseModel):
        name: str

    with pytest.raises(ConfigError, match="has no primary key"):
        compile_model(Keyless, new_base())


def test_two_models_with_one_table_name_are_refused() -> None:
    class Again(BaseModel):
        __tablename__ = "articles"
        id: int = ColumnField(primary_key=True)

    base = new_base()
    compile_model(Article, base)
    with pytest.raises(ConfigError, match="table 'articles' is already compiled"):
        compile_model(Again, base)


def test_the_mapped_class_serves_alembic() -> None:
    compiled = compile_model(Article, new_base())
    assert compiled.mapped.__table__ is compiled.table
    assert compiled.mapped.__name__ == "ArticleRecord"
