"""``Job``: background work declared like a use case, run after the dispatching transaction commits.

Kept at this public path because the documented API imports it from here. Imports only the
standard library.
"""

from __future__ import annotations

from typing import ClassVar, Generic, TypeVar

ResultT = TypeVar("ResultT")


class Job(Generic[ResultT]):
    """Base class of jobs; ``ResultT`` is what ``execute`` returns (handed to ``on_success``).

    ``execute`` takes the same markers as a use case (``Input()``, ``LoadById(...)``, path-like
    parameters from ``params``); the constructor receives services from the container.

    Class attributes:
        __queue__: Queue the job is sent to (``jobs.default_queue`` when ``None``).
        __retries__: Extra attempts after a failed ``execute`` before ``on_failure`` runs.
        __idempotent__: Record the job id in the job's own transaction so that a message
            delivered twice applies the job's effect at most once.
        __countdown__: Seconds between the commit and the first run, unless ``dispatch``
            gives ``countdown=``.
        __timeout__: Seconds an attempt may take; a longer one fails (and is retried).
        __priority__: Broker priority of the job's messages (Celery, where the broker
            supports priorities).

    ``jobs.<JobClassName>`` in the configuration overrides ``queue``, ``retries``,
    ``countdown``, ``timeout`` and ``priority`` for one application.

    Example:
        >>> class BuildProductSummaryJob(Job[str]):  # doctest: +SKIP
        ...     __queue__ = "analytics"
        ...
        ...     async def execute(
        ...         self, product_id: int, product: Product = LoadById(Product, by="product_id")
        ...     ) -> str:
        ...         return f"{product.sku} is {'in' if product.stock else 'out of'} stock"
    """

    __loom_kind__: ClassVar[str] = "job"
    __abstract__: ClassVar[bool] = True
    __queue__: ClassVar[str | None] = None
    __retries__: ClassVar[int] = 0
    __idempotent__: ClassVar[bool] = False
    __countdown__: ClassVar[float] = 0
    __timeout__: ClassVar[float | None] = None
    __priority__: ClassVar[int] = 0
