"""Background jobs: declared like use cases, dispatched through the transactional outbox.

``JobService.dispatch`` adds a job to the transaction open in the task; the outbox row is
written just before COMMIT, and after the commit the relay hands the job to the backend
(inline in this process by default, Celery when configured). A rollback means the job never
runs; a backend that is down delays it. Delivery is at least once: a job's id is the same on
every delivery, and ``__idempotent__ = True`` jobs apply their effect once.

Imports only msgspec, the standard library and ``loom.core``.

Example:
    >>> class DispatchRestockEmailUseCase(UseCase[Product, JobHandle]):  # doctest: +SKIP
    ...     def __init__(self, jobs: JobService) -> None:
    ...         self._jobs = jobs
    ...
    ...     async def execute(self, product_id: int) -> JobHandle:
    ...         return self._jobs.dispatch(SendRestockEmailJob, params={"product_id": product_id})
"""

from loom.core.job._backend import InlineJobBackend, JobPublisher, RecordingJobBackend
from loom.core.job._extension import JobsExtension
from loom.core.job._message import (
    JOB_MESSAGE_VERSION,
    JOB_TOPIC,
    JobMessage,
    decode_job,
    encode_job,
)
from loom.core.job._names import ClassRegistry, name_of
from loom.core.job._ports import JobBackend, JobHost, JobLedger, MemoryJobLedger
from loom.core.job._runner import SKIPPED, JobRunner
from loom.core.job.job import Job
from loom.core.job.service import JobHandle, JobService

__all__ = [
    "ClassRegistry",
    "InlineJobBackend",
    "JOB_MESSAGE_VERSION",
    "JOB_TOPIC",
    "Job",
    "JobBackend",
    "JobHandle",
    "JobHost",
    "JobLedger",
    "JobMessage",
    "JobPublisher",
    "JobRunner",
    "JobService",
    "JobsExtension",
    "MemoryJobLedger",
    "RecordingJobBackend",
    "SKIPPED",
    "decode_job",
    "encode_job",
    "name_of",
]
