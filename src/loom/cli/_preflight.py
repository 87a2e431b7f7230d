"""Booting an application before a long-running command commits to it.

``serve``, ``worker`` and ``relay`` first boot the kernel here (relay off), so that a wrong
config, a database that does not answer or a schema that is missing ends the command with one
line before uvicorn or Celery start (and before a worker forks children that would each fail).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from loom.core.bootstrap import Kernel, create_kernel
from loom.core.errors import BootError

RELAY_OFF = {"outbox.enabled": False}


async def require_tables(kernel: Kernel) -> None:
    """Fail unless the database answers and has every table of the application.

    Raises:
        BootError: The database cannot be reached, or tables are missing (``database.schema:
            none`` and no migration ran).
    """
    missing = await kernel.persistence.missing_tables()
    if missing:
        raise BootError(
            f"the database has no table {', '.join(missing)} (database.schema is "
            f"{kernel.config.database.schema!r}); run the migrations, or set "
            "database.schema: create_all",
            code="schema_missing",
        )


async def preflight(config_path: Path, overrides: Mapping[str, Any] | None = None) -> None:
    """Boot the kernel of ``config_path`` with its relay off, check its tables, stop it.

    Raises:
        LoomError: The first problem (config, discovery, compilation, database, schema).
    """
    async with create_kernel(config_path, overrides={**RELAY_OFF, **(overrides or {})}) as kernel:
        await require_tables(kernel)
