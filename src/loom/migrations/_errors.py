"""``MigrationError``: what ``loom db`` and ``database.schema: migrate`` raise."""

from __future__ import annotations

from loom.core.errors import BootError


class MigrationError(BootError):
    """A migration cannot be made or applied; the message says which and what to do.

    A :class:`~loom.core.errors.BootError`, because under ``database.schema: migrate`` it stops
    the application from starting. Codes: ``migrations_missing`` (no migration folder),
    ``multiple_heads``, ``unknown_revision``, ``database_ahead`` (the database was migrated by
    newer code), ``schema_drift`` (the models and the migrations disagree),
    ``migration_locked`` (another process kept the lock too long), ``migration_failed``.
    """

    code = "migration_error"
