"""loom-kernel's module path of field references; the same as ``loom.core.use_case``."""

from loom.core.use_case._field_ref import F, FieldExpr, FieldRef, PredicateOp, field_ref

__all__ = ["F", "FieldExpr", "FieldRef", "PredicateOp", "field_ref"]
