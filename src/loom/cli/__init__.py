"""The ``loom`` command: serve the API, run workers and relays, check an application.

``loom serve CONFIG``, ``loom worker CONFIG``, ``loom relay CONFIG``, ``loom check CONFIG``,
``loom outbox status|requeue CONFIG`` and ``loom db init|revision|upgrade|... CONFIG``;
:func:`main` is the console-script entry point. Needs the ``cli`` extra (typer); ``serve`` also
the ``rest`` extra, ``worker`` the ``celery`` extra, ``db`` the ``migrations`` extra.
A failure is one line on stderr and exit status 1 (``--debug`` adds the traceback).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from loom.cli._app import app

NO_TYPER = (
    "error: the loom command needs typer, which is not installed; install the cli extra "
    "(pip install 'loom-framework[cli]')"
)


def main() -> None:
    """Entry point of the ``loom`` console script."""
    try:
        from loom.cli._app import app
    except ModuleNotFoundError as exc:
        # Checked here, where it can still be one line: importing typer is the first thing.
        if exc.name != "typer":
            raise
        print(NO_TYPER, file=sys.stderr)
        raise SystemExit(1) from None
    app()


def __getattr__(name: str) -> Any:
    # `app` is imported on first use, so that the console script can report a missing typer.
    if name == "app":
        from loom.cli._app import app

        return app
    raise AttributeError(f"module 'loom.cli' has no attribute {name!r}")


__all__ = ["app", "main"]
