"""The Alembic environment of this application, written by `loom db init`.

`loom db` (and `database.schema: migrate` at start) hand it the database and the models of the
application, read from its Loom config: there is no alembic.ini to keep in step. Keyword
arguments of run_migrations() go to Alembic's context.configure(), for example
include_object=... to leave tables that another tool manages out of autogenerate.
"""

from loom.migrations import run_migrations

run_migrations()
