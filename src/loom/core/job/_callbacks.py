"""How a failure callback is called: loom-kernel's ``exc_type``/``exc_msg`` or Loom's ``error``.

Both spellings of ``on_failure`` are accepted, by keyword: ``on_failure(job_id, exc_type,
exc_msg, **context)`` (loom-kernel's) and ``on_failure(job_id, error, **context)`` (the
exception itself). Which arguments a callback gets is read from its signature.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any


def failure_arguments(callback: Callable[..., Any], error: BaseException) -> dict[str, Any]:
    """The keyword arguments describing ``error`` that ``callback`` takes.

    ``error=`` goes to a callback that names an ``error`` parameter; ``exc_type=`` (the class's
    qualified name) and ``exc_msg=`` (``str(error)``) to one that names them, and to any other
    (loom-kernel's convention is the default).

    Args:
        callback: The bound ``on_failure`` method.
        error: What the last attempt raised.

    Returns:
        The arguments, by name.
    """
    try:
        names = set(inspect.signature(callback).parameters)
    except (TypeError, ValueError):
        names = set()
    arguments: dict[str, Any] = {}
    if "error" in names:
        arguments["error"] = error
    if "exc_type" in names or "exc_msg" in names or "error" not in names:
        arguments["exc_type"] = type(error).__qualname__
        arguments["exc_msg"] = str(error)
    return arguments
