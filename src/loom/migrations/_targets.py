"""What a revision argument of ``loom db`` means, in terms Alembic runs.

``head`` is the head of every branch: the application's (which must be one) and Loom's.
Relative steps (``-1``, ``+2``) walk the application's branch from the revision the database
is at; Alembic's own relative syntax would be ambiguous with Loom's branch beside it. ``base``
is below every branch (a downgrade to ``base`` removes Loom's tables too). Anything with an
``@`` (``loom@head``, ``abc123@-1``) is Alembic's own syntax and is passed on as written.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from loom.migrations._errors import MigrationError
from loom.migrations._project import LOOM_BRANCH, MigrationProject

HEADS = ("head", "heads")
_RELATIVE = re.compile(r"^([+-])(\d+)$")
LOOM_HEAD = f"{LOOM_BRANCH}@head"


def upgrade_targets(
    project: MigrationProject, target: str | None, current: Sequence[str]
) -> list[str]:
    """The Alembic targets of ``loom db upgrade TARGET``, in order (Loom's branch first)."""
    if target is None or target in HEADS:
        return ["heads"]
    if "@" in target:
        return [target]
    relative = _RELATIVE.match(target)
    if relative is not None:
        if relative[1] == "-":
            raise MigrationError(
                f"upgrade {target}: an upgrade goes forward; write +{relative[2]}, or go back "
                f"with `loom db downgrade {project.config_name} {target}`",
                code="unknown_revision",
            )
        return [LOOM_HEAD, _walk_up(project, current, int(relative[2]))]
    if target == "base":
        raise MigrationError(
            "upgrade base: base is below every revision; upgrade to head or to a revision",
            code="unknown_revision",
        )
    return [LOOM_HEAD, project.get(target).revision]


def downgrade_target(project: MigrationProject, target: str, current: Sequence[str]) -> str:
    """The Alembic target of ``loom db downgrade TARGET``."""
    if target == "base" or "@" in target:
        return target
    if target in HEADS:
        raise MigrationError(
            f"downgrade {target}: a downgrade goes back; give a revision, -1, or base",
            code="unknown_revision",
        )
    relative = _RELATIVE.match(target)
    if relative is None:
        return project.get(target).revision
    if relative[1] == "+":
        raise MigrationError(
            f"downgrade {target}: a downgrade goes back; write -{relative[2]}, or go forward "
            f"with `loom db upgrade {project.config_name} {target}`",
            code="unknown_revision",
        )
    below = _walk_down(project, current, int(relative[2]))
    if below is not None:
        return below
    # Below the application's first revision, and no lower: Loom's branch stays.
    root = _app_current(project, current)
    while root is not None:
        down = project.get(root).down_revision
        if not down:
            break
        root = down if isinstance(down, str) else down[0]
    return f"{root}@base"


def _app_current(project: MigrationProject, current: Sequence[str]) -> str | None:
    mine = project.app_part(current)
    if len(mine) > 1:
        raise MigrationError(
            f"the database is at several revisions of the application at once "
            f"({', '.join(mine)}); a relative step is ambiguous there: give a revision id",
            code="multiple_heads",
        )
    return mine[0] if mine else None


def _walk_up(project: MigrationProject, current: Sequence[str], steps: int) -> str:
    revision = _app_current(project, current)
    for done in range(steps):
        if revision is None:
            following = [base.id for base in project.bases()]
        else:
            following = sorted(project.get(revision).nextrev)
        if not following:
            at = revision or "base"
            raise MigrationError(
                f"upgrade +{steps}: the database is at {at}, {done} revision(s) below the "
                f"application's head; there is no revision {steps} steps up",
                code="unknown_revision",
            )
        if len(following) > 1:
            raise MigrationError(
                f"upgrade +{steps}: revisions {', '.join(following)} all follow "
                f"{revision or 'base'}; say which with its id",
                code="multiple_heads",
            )
        revision = following[0]
    assert revision is not None  # steps >= 1 moved it
    return revision


def _walk_down(project: MigrationProject, current: Sequence[str], steps: int) -> str | None:
    """The application's revision ``steps`` below the current one (``None``: below its first)."""
    revision = _app_current(project, current)
    for done in range(steps):
        if revision is None:
            raise MigrationError(
                f"downgrade -{steps}: only {done} revision(s) of the application are applied; "
                "there is nothing further to revert",
                code="unknown_revision",
            )
        down = project.get(revision).down_revision
        if down is not None and not isinstance(down, str):
            if len(down) > 1:
                raise MigrationError(
                    f"downgrade -{steps}: {revision} merges {', '.join(down)}; say which one "
                    "to go back to with its id",
                    code="multiple_heads",
                )
            down = down[0] if down else None
        revision = down
    return revision
