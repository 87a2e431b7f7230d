"""Constraint and index names by convention, CHECKs, and ``__table_args__`` of a model."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from loom.core.errors import ConfigError
from loom.core.model import BaseModel, Check, ColumnField, Index, OnDelete, model_info
from loom.core.repository.sqlalchemy import NAMING_CONVENTION, Base, compile_model, new_base


class Rack(BaseModel):
    __tablename__ = "racks"
    id: int = ColumnField(primary_key=True, autoincrement=True)
    code: str = ColumnField(length=20, unique=True)


class Slot(BaseModel):
    __tablename__ = "slots"
    __table_args__ = (
        Index("rack_id", "position"),
        Index("label", unique=True, where="retired IS NULL", name="ix_slots_live_label"),
        Check("position < 100", name="small"),
    )
    id: int = ColumnField(primary_key=True, autoincrement=True)
    rack_id: int = ColumnField(foreign_key="racks.id", on_delete=OnDelete.CASCADE, index=True)
    position: int = ColumnField(check="position >= 0")
    label: str = ColumnField(length=40)
    retired: str | None = None


def _compiled() -> tuple[sa.Table, sa.Table]:
    base = new_base()
    return compile_model(Rack, base).table, compile_model(Slot, base).table


def _create(table: sa.Table, dialect: sa.engine.Dialect) -> str:
    return " ".join(str(sa.schema.CreateTable(table).compile(dialect=dialect)).split())


def _index(index: sa.Index, dialect: sa.engine.Dialect) -> str:
    return " ".join(str(sa.schema.CreateIndex(index).compile(dialect=dialect)).split())


@pytest.mark.parametrize("dialect", [postgresql.dialect(), sqlite.dialect()])  # type: ignore[no-untyped-call]
def test_constraints_are_named_by_the_convention(dialect: sa.engine.Dialect) -> None:
    racks, slots = _compiled()
    assert "CONSTRAINT pk_racks PRIMARY KEY (id)" in _create(racks, dialect)
    assert "CONSTRAINT uq_racks_code UNIQUE (code)" in _create(racks, dialect)
    sql = _create(slots, dialect)
    assert (
        "CONSTRAINT fk_slots_rack_id_racks FOREIGN KEY(rack_id) REFERENCES racks (id) "
        "ON DELETE CASCADE" in sql
    )
    assert "CONSTRAINT ck_slots_position CHECK (position >= 0)" in sql
    assert "CONSTRAINT ck_slots_small CHECK (position < 100)" in sql
    assert {str(index.name) for index in slots.indexes} == {
        "ix_slots_rack_id",
        "ix_slots_rack_id_position",
        "ix_slots_live_label",
    }


@pytest.mark.parametrize("dialect", [postgresql.dialect(), sqlite.dialect()])  # type: ignore[no-untyped-call]
def test_a_partial_unique_index_has_its_where_on_both_dialects(dialect: sa.engine.Dialect) -> None:
    _, slots = _compiled()
    index = next(i for i in slots.indexes if i.name == "ix_slots_live_label")
    assert _index(index, dialect) == (
        "CREATE UNIQUE INDEX ix_slots_live_label ON slots (label) WHERE retired IS NULL"
    )
    several = next(i for i in slots.indexes if i.name == "ix_slots_rack_id_position")
    assert _index(several, dialect) == (
        "CREATE INDEX ix_slots_rack_id_position ON slots (rack_id, position)"
    )


def test_the_default_base_and_new_bases_share_the_convention() -> None:
    assert Base.metadata.naming_convention == new_base().metadata.naming_convention
    assert NAMING_CONVENTION["ck"] == "ck_%(table_name)s_%(constraint_name)s"


def test_an_index_naming_an_unknown_field_fails_with_a_suggestion() -> None:
    class Bad(BaseModel):
        __tablename__ = "bad"
        __table_args__ = (Index("positon"),)
        id: int = ColumnField(primary_key=True)
        position: int = 0

    with pytest.raises(ConfigError) as caught:
        model_info(Bad)
    assert str(caught.value) == (
        "model Bad: Index('positon',) names the field 'positon', which is not a column of the "
        "model (columns: id, position); did you mean 'position'?"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((Index(),), "an Index in __table_args__ names no field"),
        (
            (Check("id > 0", name="positive"), Check("id < 9", name="positive")),
            "two CHECK constraints are named 'positive'",
        ),
        (Index("id"), "__table_args__ must be a tuple of Index(...) and Check(...)"),
        ((sa.Index("ix_odd", "id"),), "it takes Index(...) and Check(...) from loom.core.model"),
    ],
)
def test_wrong_table_args_are_named(args: object, message: str) -> None:
    model = type(
        "Odd",
        (BaseModel,),
        {
            "__tablename__": "odd",
            "__table_args__": args,
            "__annotations__": {"id": "int"},
            "id": ColumnField(primary_key=True),
        },
    )
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        model_info(model)
