"""``loom db``: schema migrations (Alembic) of the application a config file describes.

Every command takes the config file first, like ``serve``; revisions may be ids, ``head``,
``base`` or relative steps of the application's branch (``-1``, ``+2``). Needs the
``migrations`` extra.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from loom.cli._errors import fail, reported
from loom.core.errors import ConfigError

if TYPE_CHECKING:
    from loom.migrations import Migrations, Step

db_app = typer.Typer(
    name="db",
    help="Schema migrations: write revisions from the models, apply them, check them.",
    no_args_is_help=True,
)

ConfigArg = Annotated[Path, typer.Argument(help="The application's YAML config.")]
DebugOption = Annotated[
    bool,
    typer.Option("--debug", envvar="LOOM_DEBUG", help="Print the traceback of a failure."),
]
# `-1` must reach the command as a revision, not be read as an unknown option.
RELATIVE = {"ignore_unknown_options": True}


def _open(config: Path) -> Migrations:
    try:
        from loom.migrations import Migrations
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] != "alembic":
            raise
        raise ConfigError(
            "loom db needs Alembic, which is not installed; install the migrations extra "
            "(pip install 'loom-framework[migrations]')"
        ) from exc
    return Migrations.from_file(config)


def _steps(steps: list[Step], nothing: str) -> None:
    for step in steps:
        typer.echo(step.line())
    if not steps:
        typer.echo(nothing)


@db_app.command()
def init(config: ConfigArg, debug: DebugOption = False) -> None:
    """Create the migration folder of CONFIG (env.py, script.py.mako, versions/)."""
    with reported(config, debug):
        migrations = _open(config)
        migrations.init()
    typer.echo(f"created {migrations.project.folder} (env.py, script.py.mako, versions/)")
    typer.echo(f"next: loom db revision {config} -m 'create tables' --autogenerate")


@db_app.command()
def revision(
    config: ConfigArg,
    message: Annotated[str, typer.Option("--message", "-m", help="What the revision does.")],
    autogenerate: Annotated[
        bool, typer.Option(help="Write what the models changed since the migrations' head.")
    ] = False,
    empty: Annotated[
        bool, typer.Option(help="With --autogenerate: write the file even if nothing changed.")
    ] = False,
    debug: DebugOption = False,
) -> None:
    """Write a revision of CONFIG's application (review it before upgrading)."""
    with reported(config, debug):
        migrations = _open(config)
        result = asyncio.run(migrations.revision(message, autogenerate=autogenerate, empty=empty))
    if result.path is None:
        typer.echo(
            "no changes: the models match the migrations' head, so no revision was written "
            "(--empty writes one anyway)"
        )
        return
    typer.echo(f"wrote {result.path} (revision {result.revision})")
    for change in result.changes:
        typer.echo(f"  {change}")
    typer.echo(f"review it, then: loom db upgrade {config}")


@db_app.command(context_settings=RELATIVE)
def upgrade(
    config: ConfigArg,
    revision: Annotated[
        str, typer.Argument(help="Where to: head (default), a revision id, or +N.")
    ] = "head",
    debug: DebugOption = False,
) -> None:
    """Apply the revisions of CONFIG's application up to REVISION (Loom's own to their head)."""
    with reported(config, debug):
        steps = asyncio.run(_open(config).upgrade(revision))
    _steps(steps, "nothing to apply: the database is at the migrations' head")


@db_app.command(context_settings=RELATIVE)
def downgrade(
    config: ConfigArg,
    revision: Annotated[
        str, typer.Argument(help="Where to: a revision id, -N, or base (removes everything).")
    ],
    debug: DebugOption = False,
) -> None:
    """Revert the revisions of CONFIG's application down to REVISION."""
    with reported(config, debug):
        steps = asyncio.run(_open(config).downgrade(revision))
    _steps(steps, "nothing to revert: the database is at that revision already")


@db_app.command()
def current(config: ConfigArg, debug: DebugOption = False) -> None:
    """Show the revisions CONFIG's database is at, and what is pending."""
    with reported(config, debug):
        migrations = _open(config)
        status = asyncio.run(migrations.status())
    heads = {head.id for head in status.heads}
    if not status.current:
        typer.echo("the database has no revision applied (empty, or made without migrations)")
    for rev in status.current:
        if rev in status.unknown:
            typer.echo(f"{rev} (unknown to these migrations: the database is newer)")
            continue
        info = migrations.project.info(migrations.project.get(rev))
        branch = "loom" if info.branch == "loom" else "application"
        typer.echo(f"{branch}: {rev}{' (head)' if rev in heads else ''}, {info.message}")
    if status.pending:
        names = ", ".join(revision.id for revision in status.pending)
        typer.echo(f"behind: {len(status.pending)} revision(s) to apply: {names}")
        typer.echo(f"  run: loom db upgrade {config}")
    if status.unknown:
        raise fail(
            f"{config}: the database is at {', '.join(status.unknown)}, which these migrations "
            "do not have: it was migrated by newer code"
        )


@db_app.command()
def history(config: ConfigArg, debug: DebugOption = False) -> None:
    """List the revisions of CONFIG's application and Loom's own, newest first."""
    with reported(config, debug):
        revisions = _open(config).history()
    for revision in revisions:
        typer.echo(revision.line())


@db_app.command()
def heads(config: ConfigArg, debug: DebugOption = False) -> None:
    """Show the heads: the application's (one, unless branches need a merge) and Loom's."""
    with reported(config, debug):
        found = _open(config).heads()
    for head in found:
        typer.echo(head.line())


@db_app.command()
def merge(
    config: ConfigArg,
    message: Annotated[str, typer.Option("--message", "-m", help="What is merged.")] = "merge",
    debug: DebugOption = False,
) -> None:
    """Write a revision that joins the heads of CONFIG's application."""
    with reported(config, debug):
        merged = _open(config).merge(message)
    typer.echo(f"wrote {merged.path} (revision {merged.id}, merging {', '.join(merged.down)})")


@db_app.command()
def stamp(
    config: ConfigArg,
    revision: Annotated[str, typer.Argument(help="A revision id, head, or base.")],
    debug: DebugOption = False,
) -> None:
    """Record REVISION as applied without running it (a database made by create_all)."""
    with reported(config, debug):
        steps = asyncio.run(_open(config).stamp(revision))
    _steps(steps, "nothing to stamp: the database is recorded at that revision already")


@db_app.command()
def sql(
    config: ConfigArg,
    revision: Annotated[str, typer.Argument(help="Where to: head (default) or an id.")] = "head",
    start: Annotated[
        str | None,
        typer.Option("--from", help="The revision the database is at (default: empty)."),
    ] = None,
    debug: DebugOption = False,
) -> None:
    """Print the SQL of an upgrade of CONFIG's database, for a DBA (connects to nothing)."""
    with reported(config, debug):
        text = _open(config).sql(revision, start)
    typer.echo(text, nl=False)


@db_app.command()
def check(config: ConfigArg, debug: DebugOption = False) -> None:
    """Compare CONFIG's models with the migrations' head on a scratch database; exit 1 when
    they differ (for CI)."""
    with reported(config, debug):
        result = asyncio.run(_open(config).check())
    heads = ", ".join(result.heads)
    if not result.differences:
        typer.echo(f"ok: the models match the migrations' head ({heads})")
        return
    for difference in result.differences:
        typer.echo(f"  {difference}", err=True)
    raise fail(
        f"{config}: the models and the migrations' head ({heads}) differ in "
        f"{len(result.differences)} place(s), listed above; write a revision: loom db revision "
        f"{config} -m MESSAGE --autogenerate"
    )
