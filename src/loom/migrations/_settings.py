"""``MigrationsSettings``: the ``migrations:`` section of a Loom YAML file.

Imports only msgspec and the standard library.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

PositiveFloat = Annotated[float, msgspec.Meta(gt=0)]


class MigrationsSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """``migrations``: where the application's migrations live and how they run.

    Attributes:
        path: The migration folder, relative to the folder of the application's config file
            (the first file read: with ``includes``, the innermost included file, so that an
            overlay elsewhere shares the migrations of the file it includes); ``None``:
            ``migrations`` beside that file.
        version_table: The table Alembic records the applied revisions in. Applications that
            share one database (each with its own migrations) need one each.
        lock_timeout: Seconds a process waits for another one that is migrating the same
            database (``database.schema: migrate`` and ``loom db upgrade``) before it gives up.
    """

    path: str | None = None
    version_table: str = "alembic_version"
    lock_timeout: PositiveFloat = 300.0
