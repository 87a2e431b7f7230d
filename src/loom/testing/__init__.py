"""What users need to test their own Loom applications.

``count_statements`` counts the SQL statements an engine runs (transaction control excluded);
``InMemoryRepository`` answers the whole repository contract without a database, so use cases
can be unit-tested with it. ``drain(kernel)`` waits until every committed job has run;
``RecordingJobBackend`` keeps dispatched jobs instead of running them. ``running_kernel`` starts
an application for one test (config overrides, replaced dependencies) and ``app_client`` gives
an HTTP client on its REST app.
"""

from loom.core.job import RecordingJobBackend
from loom.testing._jobs import drain
from loom.testing._kernel import app_client, running_kernel
from loom.testing._memory import InMemoryRepository
from loom.testing._statements import StatementCounter, count_statements

__all__ = [
    "InMemoryRepository",
    "RecordingJobBackend",
    "StatementCounter",
    "app_client",
    "count_statements",
    "drain",
    "running_kernel",
]
