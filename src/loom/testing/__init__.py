"""What users need to test their own Loom applications.

``count_statements`` counts the SQL statements an engine runs (transaction control excluded);
``InMemoryRepository`` answers the whole repository contract without a database, so use cases
can be unit-tested with it. ``drain(kernel)`` waits until every committed job has run;
``RecordingJobBackend`` keeps dispatched jobs instead of running them.
"""

from loom.core.job import RecordingJobBackend
from loom.testing._jobs import drain
from loom.testing._memory import InMemoryRepository
from loom.testing._statements import StatementCounter, count_statements

__all__ = [
    "InMemoryRepository",
    "RecordingJobBackend",
    "StatementCounter",
    "count_statements",
    "drain",
]
