"""``JobCallback``: the shape of job callback classes (loom-kernel's module path).

A callback class is built by the container (so its constructor takes services such as
``ApplicationInvoker``) and may define ``on_success`` and ``on_failure``, as ``async def`` or
plain ``def``. ``on_failure`` is called by keyword: ``(job_id, exc_type, exc_msg, **context)``,
or with ``error=`` (the exception) when the method names an ``error`` parameter.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class JobCallback(Protocol):
    """What ``dispatch(..., on_success=..., on_failure=...)`` takes, as a class."""

    def on_success(self, job_id: str, result: Any, **context: Any) -> Any:
        """After the job succeeded, in its transaction; ``context`` is params and payload."""
        ...

    def on_failure(self, job_id: str, exc_type: str, exc_msg: str, **context: Any) -> Any:
        """After the last attempt failed, in a transaction of its own."""
        ...


class NullJobCallback:
    """A callback that does nothing (for tests, and dispatches that need none)."""

    def on_success(self, job_id: str, result: Any, **context: Any) -> None:
        """Do nothing."""

    def on_failure(self, job_id: str, exc_type: str, exc_msg: str, **context: Any) -> None:
        """Do nothing."""
