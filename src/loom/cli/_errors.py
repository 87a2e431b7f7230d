"""How the ``loom`` command reports a failure: one line on stderr and exit status 1.

The line says what failed, where, and what to do (a :class:`LoomError`'s message does); the
traceback is shown only with ``--debug`` (or ``LOOM_DEBUG=1``).
"""

from __future__ import annotations

import contextlib
import logging
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path

import typer

from loom.core.errors import LoomError

EXIT_FAILED = 1
EXIT_INTERRUPTED = 130


def fail(message: str) -> typer.Exit:
    """Print ``error: message`` on stderr; the :class:`typer.Exit` to raise."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=EXIT_FAILED)


def one_line(exc: BaseException) -> str:
    """What ``exc`` says, on one line: a Loom error's message, else its type and first line."""
    if isinstance(exc, LoomError):
        text = str(exc)
    else:
        first = str(exc).strip().splitlines()
        detail = f": {first[0]}" if first else ""
        text = (
            f"unexpected {type(exc).__name__}{detail} (a bug in Loom or in the application: "
            "rerun with --debug for the traceback)"
        )
    return " ".join(text.split())


class _OneLineFormatter(logging.Formatter):
    """``warning: message``; an exception logged with it is one line unless debugging."""

    def __init__(self, debug: bool) -> None:
        super().__init__()
        self.debug = debug

    def format(self, record: logging.LogRecord) -> str:
        text = f"{record.levelname.lower()}: {record.getMessage()}"
        if record.exc_info and record.exc_info[1] is not None:
            if self.debug:
                return f"{text}\n{self.formatException(record.exc_info)}"
            error = record.exc_info[1]
            first = str(error).strip().splitlines()
            text += f" ({type(error).__name__}{': ' + first[0] if first else ''})"
        return text


def configure_logging(debug: bool) -> None:
    """Show Loom's warnings as ``warning: ...`` lines, unless the application set up logging."""
    root = logging.getLogger()
    if root.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_OneLineFormatter(debug))
    root.addHandler(handler)


@contextlib.contextmanager
def reported(config: Path | None, debug: bool) -> Iterator[None]:
    """Turn any failure inside the block into ``error: CONFIG: ...`` and exit status 1.

    Logging is set up on entry (one line per warning, tracebacks only with ``debug``).

    Args:
        config: The config file the command works on (prefixes the line), if any.
        debug: Print the traceback first.
    """
    configure_logging(debug)
    try:
        yield
    except (typer.Exit, typer.Abort):
        raise
    except KeyboardInterrupt:
        raise typer.Exit(code=EXIT_INTERRUPTED) from None
    except Exception as exc:
        if debug:
            traceback.print_exception(exc, file=sys.stderr)
        where = f"{config}: " if config is not None else ""
        raise fail(where + one_line(exc)) from None
