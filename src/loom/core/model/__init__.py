"""Typed models: msgspec Structs whose fields declare columns, relations and projections.

A model is declared once and compiled by an adapter (``loom.core.repository.sqlalchemy``) into a
table. This package imports only msgspec and the standard library.

Example:
    >>> from loom.core.model import ColumnField, TimestampedModel
    >>> class User(TimestampedModel):
    ...     __tablename__ = "users"
    ...     id: int = ColumnField(primary_key=True, autoincrement=True)
    ...     email: str = ColumnField(length=255, unique=True)
"""

from loom.core.model._base import AuditableModel, BaseModel, ModelMeta, TimestampedModel
from loom.core.model._fields import (
    ColumnField,
    OnDelete,
    Projection,
    ProjectionSpec,
    RelationField,
)
from loom.core.model._info import FieldInfo, ModelInfo, current_actor, model_info
from loom.core.model._table_args import Check, Index

__all__ = [
    "AuditableModel",
    "BaseModel",
    "Check",
    "ColumnField",
    "FieldInfo",
    "Index",
    "ModelInfo",
    "ModelMeta",
    "OnDelete",
    "Projection",
    "ProjectionSpec",
    "RelationField",
    "TimestampedModel",
    "current_actor",
    "model_info",
]
