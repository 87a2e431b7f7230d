"""Extensions: capabilities the kernel loads from installed distributions.

The SQLAlchemy adapter, the cache, jobs with their outbox, and the Celery job backend are
extensions, declared in Loom's own ``[project.entry-points."loom.extensions"]``; a third-party
package adds one the same way. The kernel never imports an adapter by name: it asks the
extensions it found. Imports only the standard library and ``loom.core.errors``.

Example:
    >>> # pyproject.toml of a package:
    >>> #   [project.entry-points."loom.extensions"]
    >>> #   audit = "audit_ext:AuditExtension"
    >>> ExtensionCatalog.installed().classes  # doctest: +SKIP
"""

from loom.core.extension._protocol import Extension
from loom.core.extension._registry import (
    ENTRY_POINT_GROUP,
    ExtensionCatalog,
    KernelExtensions,
    MissingExtension,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "Extension",
    "ExtensionCatalog",
    "KernelExtensions",
    "MissingExtension",
]
