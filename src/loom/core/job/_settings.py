"""Per-job settings: ``jobs.<JobClassName>`` from the configuration over the class attributes.

The settings belong to one kernel (two kernels in a process may configure one job class
differently), so they are looked up here rather than written onto the job classes.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

from loom.core.errors import ConfigError

_ATTRIBUTES = {
    "queue": "__queue__",
    "retries": "__retries__",
    "countdown": "__countdown__",
    "timeout": "__timeout__",
    "priority": "__priority__",
}


class JobSettings:
    """What a job class runs with: its attributes, overridden by the configuration.

    Args:
        overrides: Settings by job class; each an object with ``queue``, ``retries``,
            ``countdown``, ``timeout`` and ``priority`` attributes (``None``: keep the class's).
    """

    def __init__(self, overrides: Mapping[type[Any], Any] | None = None) -> None:
        self._overrides = dict(overrides or {})

    @classmethod
    def from_config(cls, per_job: Mapping[str, Any], jobs: Iterable[type[Any]]) -> JobSettings:
        """Match ``jobs.<JobClassName>`` keys with the discovered job classes.

        Raises:
            ConfigError: A key names no discovered job class (with the closest name).
        """
        by_name: dict[str, type[Any]] = {}
        for job in jobs:
            by_name.setdefault(job.__name__, job)
        overrides: dict[type[Any], Any] = {}
        for name, settings in per_job.items():
            found = by_name.get(name)
            if found is None:
                known = sorted(by_name)
                message = (
                    f"unknown key 'jobs.{name}': it names no discovered job class; known keys of "
                    f"jobs: backend, default_queue, and the job classes: "
                    f"{', '.join(known) or '(none)'}"
                )
                close = difflib.get_close_matches(name, [*known, "backend", "default_queue"], 1)
                if close:
                    message += f"; did you mean '{close[0]}'?"
                raise ConfigError(message, code="config_unknown_key")
            overrides[found] = settings
        return cls(overrides)

    def _get(self, job: type[Any], name: str) -> Any:
        override = self._overrides.get(job)
        value = getattr(override, name, None) if override is not None else None
        if value is not None:
            return value
        return getattr(job, _ATTRIBUTES[name], None)

    def queue(self, job: type[Any]) -> str | None:
        """The queue ``job`` is sent to (``None``: the default queue)."""
        value = self._get(job, "queue")
        return str(value) if value else None

    def retries(self, job: type[Any]) -> int:
        """Extra attempts after a failed one."""
        return max(0, int(self._get(job, "retries") or 0))

    def countdown(self, job: type[Any]) -> float | None:
        """Seconds between the commit and the first run, unless the dispatch says."""
        value = self._get(job, "countdown")
        return float(value) if value else None

    def timeout(self, job: type[Any]) -> float | None:
        """Seconds an attempt may take before it fails (``None``: no limit)."""
        value = self._get(job, "timeout")
        return float(value) if value else None

    def priority(self, job: type[Any]) -> int | None:
        """The broker priority (``None``: the broker's default)."""
        value = self._get(job, "priority")
        return int(value) if value else None
