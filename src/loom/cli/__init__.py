"""The ``loom`` command: serve the API, run workers and relays, check an application.

``loom serve CONFIG``, ``loom worker CONFIG``, ``loom relay CONFIG``, ``loom check CONFIG`` and
``loom outbox status|requeue CONFIG``; :func:`main` is the console-script entry point. Needs
the ``cli`` extra (typer); ``serve`` also the ``rest`` extra, ``worker`` the ``celery`` extra.
"""

try:
    import typer as _typer  # noqa: F401 (checked once here, with the fix in the message)
except ImportError as exc:  # pragma: no cover - depends on the installation
    raise ImportError(
        "the loom command needs typer: install the cli extra (pip install 'loom-framework[cli]')"
    ) from exc

from loom.cli._app import app, main

__all__ = ["app", "main"]
