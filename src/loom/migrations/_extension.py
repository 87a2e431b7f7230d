"""``MigrationsExtension``: ``database.schema: migrate`` upgrades the database at boot.

Declared in Loom's ``loom.extensions`` entry points as ``migrations``; it owns the
``migrations:`` section of the config file. It is enabled only by ``database.schema: migrate``,
and runs after the other extensions have added their tables, before anything opens the
database (the outbox relay starts on the upgraded schema).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from loom.core.extension import Extension
from loom.migrations._env import Step
from loom.migrations._migrations import Migrations
from loom.migrations._settings import MigrationsSettings

if TYPE_CHECKING:
    from loom.core.bootstrap import Kernel
    from loom.core.config import LoomConfig


class MigrationsExtension(Extension):
    """Upgrades the application's database to the migrations' head when the kernel starts.

    With several processes starting at once on PostgreSQL, one migrates while the others wait
    on its advisory lock (one per ``app.name``), then find the schema at head and start; on
    SQLite the write lock plays that part.

    Attributes:
        applied: The revisions this process applied at boot (``kernel.extensions.get(
            "migrations").applied``).
    """

    name = "migrations"
    config_section = "migrations"
    config_type = MigrationsSettings
    after = ("jobs", "cache")

    def __init__(self) -> None:
        self.applied: list[Step] = []
        """The revisions this process applied at boot (none when another one had)."""

    def enabled(self, config: LoomConfig) -> bool:
        """Only under ``database.schema: migrate``."""
        return config.database.schema == "migrate"

    async def on_boot(self, kernel: Kernel) -> None:
        """Upgrade to head (Loom's branch included), or refuse to start.

        Raises:
            MigrationError: No migration folder, several heads, a database newer than the
                code (naming both revisions), a failing revision, or the lock held too long.
        """
        self.applied = await Migrations(kernel.config, kernel=kernel).upgrade_at_boot()
