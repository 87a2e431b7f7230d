"""Schema migrations with Alembic, from Loom's models: the ``loom db`` commands.

An application's migrations live in a folder beside its config (``migrations/``; see
``migrations.path``), made by ``loom db init``; its ``env.py`` reads the Loom config, so there is
no ``alembic.ini``. Loom's own tables (the outbox, the job runs) come in Loom's own branch,
labelled ``loom``, which every command includes. ``database.schema: migrate`` upgrades to head
at boot under a lock (:class:`MigrationsExtension`).

Needs the ``migrations`` extra (Alembic): ``pip install 'loom-framework[migrations]'``.

Example:
    >>> migrations = Migrations.from_file("config/api.yaml")  # doctest: +SKIP
    >>> await migrations.upgrade()  # doctest: +SKIP
"""

from loom.migrations._env import EnvState, Step, run_migrations
from loom.migrations._errors import MigrationError
from loom.migrations._extension import MigrationsExtension
from loom.migrations._loom_schema import LOOM_TABLES, loom_metadata
from loom.migrations._migrations import Migrations
from loom.migrations._project import LOOM_BRANCH, RevisionInfo
from loom.migrations._results import CheckResult, RevisionResult, Status
from loom.migrations._settings import MigrationsSettings

__all__ = [
    "LOOM_BRANCH",
    "LOOM_TABLES",
    "CheckResult",
    "EnvState",
    "MigrationError",
    "Migrations",
    "MigrationsExtension",
    "MigrationsSettings",
    "RevisionInfo",
    "RevisionResult",
    "Status",
    "Step",
    "loom_metadata",
    "run_migrations",
]
