"""The files ``loom db init`` writes: the Alembic environment and the revision template."""

from __future__ import annotations

ENV = '''\
"""The Alembic environment of this application, written by `loom db init`.

`loom db` (and `database.schema: migrate` at start) hand it the database and the models of the
application, read from its Loom config: there is no alembic.ini to keep in step. Keyword
arguments of run_migrations() go to Alembic's context.configure(), for example
include_object=... to leave tables that another tool manages out of autogenerate.
"""

from loom.migrations import run_migrations

run_migrations()
'''

SCRIPT = '''\
"""${message}

Revision ID: ${up_revision}
% if down_revision:
Revises: ${down_revision | comma,n}
% else:
Revises: nothing (a first revision)
% endif
Create Date: ${create_date}
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
${imports if imports else ""}
revision: str = ${repr(up_revision)}
down_revision: str | Sequence[str] | None = ${repr(down_revision)}
branch_labels: str | Sequence[str] | None = ${repr(branch_labels)}
depends_on: str | Sequence[str] | None = ${repr(depends_on)}


def upgrade() -> None:
    ${upgrades if upgrades else "pass"}


def downgrade() -> None:
    ${downgrades if downgrades else "pass"}
'''

README = """\
Migrations of this application, managed with `loom db` (Alembic underneath).

    loom db revision CONFIG -m "what changed" --autogenerate   # write a revision; review it
    loom db upgrade CONFIG                                     # apply it
    loom db check CONFIG                                       # models == migrations? (CI)

versions/ holds the revisions; env.py is the Alembic environment (it reads the Loom config).
"""
