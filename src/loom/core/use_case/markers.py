"""loom-kernel's module path of the ``execute`` markers; the same as ``loom.core.use_case``."""

from loom.core.use_case._markers import (
    Exists,
    Input,
    Load,
    LoadById,
    LookupKind,
    OnMissing,
    Query,
    SourceKind,
)

__all__ = ["Exists", "Input", "Load", "LoadById", "LookupKind", "OnMissing", "Query", "SourceKind"]
