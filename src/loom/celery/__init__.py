"""The Celery adapter: jobs published to a broker, and the worker that runs them.

The API process publishes each committed job (the outbox relay calls
:class:`CeleryJobBackend`) as a Celery task named after the job class
(``loom.job.<module>.<Class>``), on the job's ``__queue__``, with the job id as the task id.
A worker built by :func:`create_app` boots the same kernel as the API and runs each task
through the kernel's job runner: own transaction, callbacks in their own transaction,
``__idempotent__`` deduplication, ``__retries__`` with backoff.

This is the only module of Loom that imports celery and kombu.

Example:
    >>> # worker.py, started with `celery -A worker worker` or `loom worker config/api.yaml`
    >>> from loom.celery import create_app  # doctest: +SKIP
    >>> app = create_app("config/api.yaml")  # doctest: +SKIP
"""

try:
    import celery as _celery  # noqa: F401 (checked once here, with the fix in the message)
except ImportError as exc:  # pragma: no cover - depends on the installation
    raise ImportError(
        "loom.celery needs Celery: install the celery extra (pip install 'loom-framework[celery]')"
    ) from exc

from loom.celery._backend import CeleryJobBackend, job_backend
from loom.celery._extension import CeleryExtension
from loom.celery._settings import celery_settings, make_celery, queue_for, task_name
from loom.celery._worker import WorkerKernel, create_app
from loom.core.job.service import JobService as CeleryJobService

__all__ = [
    "CeleryExtension",
    "CeleryJobBackend",
    "CeleryJobService",
    "WorkerKernel",
    "celery_settings",
    "create_app",
    "job_backend",
    "make_celery",
    "queue_for",
    "task_name",
]
