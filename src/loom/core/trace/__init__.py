"""The trace id of the current request or job, carried in a context variable.

Imports only the standard library.
"""

from loom.core.trace._trace import current_trace_id, new_trace_id, sanitize_trace_id

__all__ = ["current_trace_id", "new_trace_id", "sanitize_trace_id"]
