"""The typer application behind the ``loom`` command (and its ``outbox`` and ``db`` groups).

Every command answers a failure with one line on stderr (``error: CONFIG: what failed, where,
what to do``) and exit status 1; ``--debug`` (or ``LOOM_DEBUG=1``) prints the traceback too.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from loom.cli._db import db_app
from loom.cli._errors import fail, reported
from loom.core.errors import ConfigError

app = typer.Typer(
    name="loom",
    help="Run and check Loom applications.",
    no_args_is_help=True,
    add_completion=False,
)

# The file is checked by the config loader, whose message names the fix (typer's own check
# would print a usage box instead of the one line every other failure gets).
ConfigArg = Annotated[Path, typer.Argument(help="The application's YAML config.")]
DebugOption = Annotated[
    bool,
    typer.Option("--debug", envvar="LOOM_DEBUG", help="Print the traceback of a failure."),
]


@app.command()
def serve(
    config: ConfigArg,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to bind.")] = 8000,
    reload: Annotated[bool, typer.Option(help="Restart when code changes (development).")] = False,
    debug: DebugOption = False,
) -> None:
    """Serve the REST API of CONFIG with uvicorn (after booting it once to check it)."""
    from loom.cli._preflight import preflight
    from loom.cli._serve import rest_missing
    from loom.cli._serve import serve as run_serve

    with reported(config, debug):
        missing = rest_missing()
        if missing is not None:
            raise fail(missing)
        asyncio.run(preflight(config))
        run_serve(config, host, port, reload)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def worker(
    ctx: typer.Context,
    config: ConfigArg,
    queues: Annotated[
        list[str] | None,
        typer.Option("--queues", "-Q", help="Queues to consume (repeat or comma-separate)."),
    ] = None,
    concurrency: Annotated[
        int | None, typer.Option("--concurrency", "-c", min=1, help="Worker processes/threads.")
    ] = None,
    pool: Annotated[
        str | None, typer.Option(help="Celery pool: prefork (default), threads or solo.")
    ] = None,
    loglevel: Annotated[str, typer.Option("--loglevel", "-l", help="Log level.")] = "info",
    debug: DebugOption = False,
) -> None:
    """Run a Celery worker for the jobs of CONFIG (every job queue unless --queues).

    The application boots once first, so a wrong config or a database that does not answer
    ends the command before Celery starts its processes. Other options are passed to ``celery
    worker`` as they are (``--without-gossip``, ...).
    """
    from loom.cli._preflight import preflight

    with reported(config, debug):
        try:
            from loom.celery import create_app
        except ImportError as exc:
            raise ConfigError(
                "loom worker needs Celery, which is not installed; install the celery extra "
                "(pip install 'loom-framework[celery]')"
            ) from exc
        celery_app = create_app(config)
        asyncio.run(preflight(config, {"jobs.backend": "celery"}))
    argv = ["worker", f"--loglevel={loglevel}"]
    names = [name for item in queues or () for name in item.split(",") if name]
    if names:
        argv.append(f"--queues={','.join(names)}")
    if concurrency is not None:
        argv.append(f"--concurrency={concurrency}")
    if pool is not None:
        argv.append(f"--pool={pool}")
    argv.extend(ctx.args)
    celery_app.worker_main(argv)


@app.command()
def relay(config: ConfigArg, debug: DebugOption = False) -> None:
    """Relay the outbox of CONFIG to the job backend until SIGINT or SIGTERM."""
    from loom.cli._relay import run_relay

    with reported(config, debug):
        asyncio.run(run_relay(config, typer.echo))


@app.command()
def check(config: ConfigArg, debug: DebugOption = False) -> None:
    """Boot CONFIG's kernel, compile every use case, job and route, and look at the database
    and the cache without changing them; exit 1 on any problem."""
    from loom.cli._check import check as run_check

    with reported(config, debug):
        report = asyncio.run(run_check(config))
    problems = len(report.problems)
    typer.echo(f"{config}: ok" if not problems else f"{config}: {problems} problem(s)")
    for kind, count in report.counts.items():
        typer.echo(f"  {kind}: {count}")
    for note in report.notes:
        typer.echo(f"  {note}")
    for warning in report.warnings:
        typer.echo(f"warning: {config}: {warning}", err=True)
    if problems:
        for problem in report.problems:
            typer.echo(f"error: {config}: {problem}", err=True)
        raise typer.Exit(code=1)


app.add_typer(db_app)

outbox_app = typer.Typer(
    name="outbox",
    help="Inspect the outbox and requeue dead letters.",
    no_args_is_help=True,
)
app.add_typer(outbox_app)


@outbox_app.command("status")
def outbox_status(config: ConfigArg, debug: DebugOption = False) -> None:
    """Count the outbox messages of CONFIG that are pending, sent and dead."""
    from loom.cli._outbox import status

    with reported(config, debug):
        counts = asyncio.run(status(config))
    for name, count in counts.items():
        typer.echo(f"{name}: {count}")


@outbox_app.command("requeue")
def outbox_requeue(
    config: ConfigArg,
    all_: Annotated[bool, typer.Option("--all", help="Requeue every dead letter.")] = False,
    ids: Annotated[
        list[str] | None, typer.Option("--id", help="A dead letter's message id (repeat).")
    ] = None,
    debug: DebugOption = False,
) -> None:
    """Put dead letters of CONFIG back to pending: attempts reset, due now, last error kept."""
    from loom.cli._outbox import requeue

    if all_ == bool(ids):
        raise fail("say which dead letters to requeue: --all, or --id ID (repeatable)")
    with reported(config, debug):
        count = asyncio.run(requeue(config, None if all_ else ids))
    typer.echo(f"requeued {count} dead message(s)")
    if ids and count < len(set(ids)):
        typer.echo(
            f"{len(set(ids)) - count} id(s) were not dead letters (unknown, pending or sent)"
        )
