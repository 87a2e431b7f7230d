"""What users need to test their own Loom applications.

``count_statements`` counts the SQL statements an engine runs (transaction control excluded).
"""

from loom.testing._statements import StatementCounter, count_statements

__all__ = ["StatementCounter", "count_statements"]
