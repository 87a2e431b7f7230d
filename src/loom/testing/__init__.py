"""What users need to test their own Loom applications.

``count_statements`` counts the SQL statements an engine runs (transaction control excluded);
``InMemoryRepository`` answers the whole repository contract without a database, so use cases
can be unit-tested with it.
"""

from loom.testing._memory import InMemoryRepository
from loom.testing._statements import StatementCounter, count_statements

__all__ = ["InMemoryRepository", "StatementCounter", "count_statements"]
