"""``SQLAlchemyExtension``: the database of the kernel, as an extension.

Declared in Loom's ``loom.extensions`` entry points as ``sqlalchemy``; the kernel asks it for
its persistence port and never imports this package by name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import exc as sa_exc

from loom.core.extension import Extension
from loom.core.repository.sqlalchemy._boot import url_error
from loom.core.repository.sqlalchemy._decorators import current_session_manager
from loom.core.repository.sqlalchemy._di import SQLAlchemyPersistence

if TYPE_CHECKING:
    from loom.core.bootstrap import Kernel


class SQLAlchemyExtension(Extension):
    """Provides the kernel's persistence on SQLAlchemy from the ``database`` section."""

    name = "sqlalchemy"

    def provide_persistence(self, kernel: Kernel) -> SQLAlchemyPersistence:
        """Build the engine, the session manager and the models' tables (no connection yet).

        Raises:
            ConfigError: ``database.url`` names an unknown dialect, a driver that is not
                installed or is not async, or is not a URL.
        """
        config = kernel.config
        trace = config.trace
        try:
            persistence = SQLAlchemyPersistence.from_config(
                config.database,
                kernel.models,
                inject_trace_id=trace.enabled and trace.database,
            )
        except (sa_exc.ArgumentError, sa_exc.InvalidRequestError, ImportError) as exc:
            raise url_error(config.database.url, exc) from exc
        manager = persistence.session_manager
        manager.cursor_codec = kernel.cursor_codec
        manager.max_limit = config.rest.max_limit
        # loom-kernel 9 counts every offset page; its clients read totalCount on each one.
        manager.offset_totals = config.rest.compat == "loom_kernel"
        current_session_manager.set(manager)
        return persistence
