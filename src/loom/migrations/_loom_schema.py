"""Loom's own tables, as the metadata Loom's migration branch builds.

Whatever the kernel adds to an application's metadata for itself (the outbox and the job
runs, which hold the dead letters and the idempotency records) is listed here: these tables
come with Loom's branch, never with the application's revisions.
"""

from __future__ import annotations

import sqlalchemy as sa

from loom.core.repository.sqlalchemy import NAMING_CONVENTION, outbox_tables


def loom_metadata() -> sa.MetaData:
    """A metadata with Loom's own tables only, named as in every application."""
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    outbox_tables(metadata)
    return metadata


LOOM_TABLES = frozenset(loom_metadata().tables)
"""The names of Loom's own tables."""
