"""What ``loom db``'s commands answer: where the database is, what a revision or check found."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from loom.migrations._project import RevisionInfo


@dataclass(frozen=True, slots=True)
class Status:
    """Where the database is against the migrations.

    Attributes:
        current: The revisions recorded in the database's version table.
        unknown: Those the code does not have (the database was migrated by newer code).
        heads: The heads of the code's migrations (the application's and Loom's).
        pending: Revisions not applied yet, oldest first.
    """

    current: tuple[str, ...]
    unknown: tuple[str, ...]
    heads: tuple[RevisionInfo, ...]
    pending: tuple[RevisionInfo, ...]

    @property
    def behind(self) -> bool:
        """Whether revisions are waiting to be applied."""
        return bool(self.pending)


@dataclass(frozen=True, slots=True)
class RevisionResult:
    """What ``revision`` did.

    Attributes:
        path: The file written (``None`` when autogenerate found nothing to write).
        revision: Its revision id.
        changes: The differences autogenerate found, in words.
    """

    path: Path | None
    revision: str | None
    changes: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class CheckResult:
    """What ``check`` found.

    Attributes:
        differences: Where the models and the migrations' head disagree (empty: they agree).
        heads: The heads the scratch database was upgraded to.
        scratch: Where the comparison ran, in words.
    """

    differences: list[str]
    heads: list[str]
    scratch: str
