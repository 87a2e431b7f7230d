"""``CeleryExtension``: the Celery job backend, as an extension.

Declared in Loom's ``loom.extensions`` entry points as ``celery``; ``jobs.backend: celery``
asks for it by that name. Without the ``celery`` extra it cannot be imported, and the kernel
says which extra to install.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from loom.celery._backend import CeleryJobBackend, job_backend
from loom.core.extension import Extension

if TYPE_CHECKING:
    from loom.core.bootstrap import Kernel
    from loom.core.config import LoomConfig
    from loom.core.job import JobRunner


class CeleryExtension(Extension):
    """Publishes the kernel's jobs to Celery when ``jobs.backend`` is ``celery``."""

    name = "celery"

    def enabled(self, config: LoomConfig) -> bool:
        """When ``jobs.backend`` is ``celery``."""
        return config.jobs.backend == "celery"

    def job_backend(self, kernel: Kernel, runner: JobRunner) -> CeleryJobBackend:
        """The backend the outbox relay hands jobs to."""
        return job_backend(kernel, runner)
