"""The typer application behind the ``loom`` command (and its ``outbox`` group)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from loom.core.errors import LoomError

app = typer.Typer(
    name="loom",
    help="Run and check Loom applications.",
    no_args_is_help=True,
    add_completion=False,
)

ConfigArg = Annotated[
    Path,
    typer.Argument(
        exists=True, dir_okay=False, readable=True, help="The application's YAML config."
    ),
]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=1)


@app.command()
def serve(
    config: ConfigArg,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to bind.")] = 8000,
    reload: Annotated[bool, typer.Option(help="Restart when code changes (development).")] = False,
) -> None:
    """Serve the REST API of CONFIG with uvicorn."""
    from loom.cli._serve import rest_missing
    from loom.cli._serve import serve as run_serve

    missing = rest_missing()
    if missing is not None:
        raise _fail(missing)
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
) -> None:
    """Run a Celery worker for the jobs of CONFIG (every job queue unless --queues).

    Other options are passed to ``celery worker`` as they are (``--without-gossip``, ...).
    """
    try:
        from loom.celery import create_app
    except ImportError as exc:
        raise _fail(str(exc)) from exc
    try:
        celery_app = create_app(config)
    except LoomError as exc:
        raise _fail(str(exc)) from exc
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
def relay(config: ConfigArg) -> None:
    """Relay the outbox of CONFIG to the job backend until SIGINT or SIGTERM."""
    from loom.cli._relay import run_relay

    try:
        asyncio.run(run_relay(config, typer.echo))
    except LoomError as exc:
        raise _fail(str(exc)) from exc


@app.command()
def check(config: ConfigArg) -> None:
    """Boot CONFIG's kernel, compile every use case, job and route; exit 1 on any error."""
    from loom.cli._check import check as run_check

    try:
        report = asyncio.run(run_check(config))
    except LoomError as exc:
        raise _fail(f"{config}: {exc}") from exc
    typer.echo(f"{config}: ok")
    for kind, count in report.counts.items():
        typer.echo(f"  {kind}: {count}")
    for note in report.notes:
        typer.echo(f"  {note}")


outbox_app = typer.Typer(
    name="outbox",
    help="Inspect the outbox and requeue dead letters.",
    no_args_is_help=True,
)
app.add_typer(outbox_app)


@outbox_app.command("status")
def outbox_status(config: ConfigArg) -> None:
    """Count the outbox messages of CONFIG that are pending, sent and dead."""
    from loom.cli._outbox import status

    try:
        counts = asyncio.run(status(config))
    except LoomError as exc:
        raise _fail(f"{config}: {exc}") from exc
    for name, count in counts.items():
        typer.echo(f"{name}: {count}")


@outbox_app.command("requeue")
def outbox_requeue(
    config: ConfigArg,
    all_: Annotated[bool, typer.Option("--all", help="Requeue every dead letter.")] = False,
    ids: Annotated[
        list[str] | None, typer.Option("--id", help="A dead letter's message id (repeat).")
    ] = None,
) -> None:
    """Put dead letters of CONFIG back to pending: attempts reset, due now, last error kept."""
    from loom.cli._outbox import requeue

    if all_ == bool(ids):
        raise _fail("say which dead letters to requeue: --all, or --id ID (repeatable)")
    try:
        count = asyncio.run(requeue(config, None if all_ else ids))
    except LoomError as exc:
        raise _fail(f"{config}: {exc}") from exc
    typer.echo(f"requeued {count} dead message(s)")
    if ids and count < len(set(ids)):
        typer.echo(
            f"{len(set(ids)) - count} id(s) were not dead letters (unknown, pending or sent)"
        )


def main() -> None:
    """Entry point of the ``loom`` console script."""
    app()
