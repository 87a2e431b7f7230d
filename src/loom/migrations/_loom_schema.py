"""Loom's own tables, as the metadata Loom's migration branch builds.

Whatever the kernel adds to an application's metadata for itself (the outbox and the job
runs, which hold the dead letters and the idempotency records; the cache's journal of lost
invalidations) is listed here: these tables come with Loom's branch, never with the
application's revisions. Loom's branch creates them all, also those a configuration does not
use (the journal serves only a cache whose counters live on Redis): a schema must not depend
on the configuration it is deployed with.
"""

from __future__ import annotations

import sqlalchemy as sa

from loom.core.repository.sqlalchemy import NAMING_CONVENTION, cache_journal_table, outbox_tables


def loom_metadata() -> sa.MetaData:
    """A metadata with Loom's own tables only, named as in every application."""
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    outbox_tables(metadata)
    cache_journal_table(metadata)
    return metadata


LOOM_TABLES = frozenset(loom_metadata().tables)
"""The names of Loom's own tables."""
