"""How revisions spell Loom's types and defaults, and how differences read."""

from __future__ import annotations

import enum

import sqlalchemy as sa

from loom.core.model import BaseModel, ColumnField, Index
from loom.core.repository.sqlalchemy import compile_model, new_base
from loom.migrations._describe import describe
from loom.migrations._render import render_item


class Mood(enum.Enum):
    HAPPY = "happy"
    GRUMPY = "grumpy"


class Diary(BaseModel):
    __tablename__ = "diary"
    __table_args__ = (Index("mood", where="mood <> 'happy'", name="ix_diary_sad"),)
    id: int = ColumnField(primary_key=True, autoincrement=True)
    mood: Mood = Mood.HAPPY


def _table() -> sa.Table:
    return compile_model(Diary, new_base()).table


class _Context:
    """The part of Alembic's AutogenContext that ``render_item`` uses."""

    def __init__(self) -> None:
        self.imports: set[str] = set()


def _render(kind: str, obj: object) -> tuple[str | bool, set[str]]:
    context = _Context()
    rendered = render_item(kind, obj, context)  # type: ignore[arg-type]
    return rendered, context.imports


def test_loom_types_render_as_plain_sqlalchemy_types() -> None:
    from loom.core.repository.sqlalchemy._types import PortableDecimal, UTCDateTime

    assert _render("type", UTCDateTime()) == ("sa.DateTime(timezone=True)", set())
    assert _render("type", PortableDecimal()) == ("sa.Numeric()", set())
    assert _render("type", _table().c.mood.type) == ("sa.String(length=6)", set())
    json = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")
    assert _render("type", json) == (
        "sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')",
        {"from sqlalchemy.dialects import postgresql"},
    )
    assert _render("type", sa.Integer()) == (False, set())


def test_sql_server_defaults_render_as_written() -> None:
    default = sa.Column("at", sa.DateTime(), server_default=sa.text("CURRENT_TIMESTAMP"))
    assert _render("server_default", default.server_default) == (
        "sa.text('CURRENT_TIMESTAMP')",
        set(),
    )
    literal = sa.Column("state", sa.String(), server_default="new")
    assert _render("server_default", literal.server_default) == (False, set())


def test_differences_read_as_sentences() -> None:
    table = _table()
    column = sa.Column("note", sa.String(40))
    index = next(i for i in table.indexes if i.name == "ix_diary_sad")
    old_index = sa.Index("ix_diary_sad", sa.Column("mood", sa.String()))
    lines = describe(
        [
            ("add_table", table),
            ("remove_column", None, "diary", column),
            ("remove_index", old_index),
            ("add_index", index),
            [("modify_nullable", None, "diary", "mood", {}, True, False)],
            [("modify_type", None, "diary", "mood", {}, sa.String(5), sa.String(6))],
            [("modify_default", None, "diary", "mood", {}, None, sa.text("'x'"))],
        ]
    )
    assert lines == [
        "table 'diary' is in the models, not in the migrations",
        "column diary.note (VARCHAR(40)) is in the migrations, not in the models",
        "table 'diary': index 'ix_diary_sad' differs (the models have it WHERE mood <> 'happy')",
        "column diary.mood: NOT NULL in the models, NULL in the migrations",
        "column diary.mood: type VARCHAR(6) in the models, VARCHAR(5) in the migrations",
        "column diary.mood: server default \"'x'\" in the models, none in the migrations",
    ]
