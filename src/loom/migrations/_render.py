"""How autogenerate writes Loom's column types into a revision file.

A revision must keep working when Loom's internals move, and must run on SQLite and on
PostgreSQL alike, so Loom's own types are written as the plain SQLAlchemy types they store as:
``UTCDateTime`` as ``sa.DateTime(timezone=True)``, ``PortableDecimal`` as ``sa.Numeric()``, an
enum (a ``VARCHAR`` holding the values, no database type) as ``sa.String(length=N)``, and JSON
as ``sa.JSON()`` with its ``JSONB`` variant on PostgreSQL. SQL server defaults are written as
the model declares them.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.dialects import postgresql

_POSTGRESQL = "from sqlalchemy.dialects import postgresql"


def render_item(kind: str, obj: Any, context: AutogenContext) -> str | bool:
    """Alembic's ``render_item`` hook: Loom's types as plain SQLAlchemy types, else default."""
    if kind == "server_default":
        # As the model wrote it: Alembic would wrap it in parentheses when generated on SQLite,
        # and the schema would then differ from what create_all makes.
        arg = getattr(obj, "arg", None)
        if isinstance(arg, sa.TextClause):
            return f"sa.text({arg.text!r})"
        return False
    if kind != "type":
        return False
    variants = getattr(obj, "_variant_mapping", {})
    if isinstance(obj, sa.JSON) and isinstance(variants.get("postgresql"), postgresql.JSONB):
        context.imports.add(_POSTGRESQL)
        return "sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')"
    if isinstance(obj, sa.Enum) and not obj.native_enum and not obj.create_constraint:
        return f"sa.String(length={obj.length})"
    if isinstance(obj, sa.TypeDecorator) and type(obj).__module__.startswith("loom."):
        return f"sa.{obj.impl_instance!r}"
    return False
