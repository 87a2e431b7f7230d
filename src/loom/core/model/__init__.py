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
from loom.core.model._columns import (
    JSON,
    BigInteger,
    Boolean,
    Bytes,
    Cardinality,
    ColumnType,
    Date,
    DateTime,
    Float,
    Integer,
    JsonStr,
    Numeric,
    OnUpdate,
    ServerDefault,
    ServerOnUpdate,
    String,
    Text,
    Time,
    Uuid,
)
from loom.core.model._fields import (
    ColumnField,
    OnDelete,
    Projection,
    ProjectionSpec,
    Relation,
    RelationField,
    column_field,
    relation_field,
)
from loom.core.model._info import FieldInfo, ModelInfo, current_actor, model_info
from loom.core.model._kernel import (
    ColumnFieldInfo,
    Field,
    LoomFrozenStruct,
    LoomStruct,
    PartialUnique,
    declared_checks,
    declared_indexes,
    declared_partial_unique,
    declared_unique,
    get_column_fields,
    get_id_attribute,
    get_id_attributes,
    get_projections,
    get_relations,
    get_table_name,
)
from loom.core.model._table_args import Check, Index

LoomStructMeta = ModelMeta
"""loom-kernel's name of the models' metaclass."""

ProjectionField = Projection
"""loom-kernel's name of :func:`Projection` (the same keywords)."""

__all__ = [
    "JSON",
    "AuditableModel",
    "BaseModel",
    "BigInteger",
    "Boolean",
    "Bytes",
    "Cardinality",
    "Check",
    "ColumnField",
    "ColumnFieldInfo",
    "ColumnType",
    "Date",
    "DateTime",
    "Field",
    "FieldInfo",
    "Float",
    "Integer",
    "JsonStr",
    "LoomFrozenStruct",
    "LoomStruct",
    "LoomStructMeta",
    "Index",
    "ModelInfo",
    "ModelMeta",
    "Numeric",
    "OnDelete",
    "OnUpdate",
    "PartialUnique",
    "Projection",
    "ProjectionField",
    "ProjectionSpec",
    "Relation",
    "RelationField",
    "ServerDefault",
    "ServerOnUpdate",
    "String",
    "Text",
    "Time",
    "TimestampedModel",
    "Uuid",
    "column_field",
    "current_actor",
    "declared_checks",
    "declared_indexes",
    "declared_partial_unique",
    "declared_unique",
    "get_column_fields",
    "get_id_attribute",
    "get_id_attributes",
    "get_projections",
    "get_relations",
    "get_table_name",
    "model_info",
    "relation_field",
]
