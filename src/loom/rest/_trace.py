"""The trace id of a request, from its headers, and in every log record.

Imports the standard library and ``loom.core`` only.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from loom.core.trace import current_trace_id, new_trace_id, sanitize_trace_id

# W3C Trace Context: version-traceid-parentid-flags; version ff and an all-zero id are invalid.
_TRACEPARENT = re.compile(r"^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")
_ZERO_TRACE = "0" * 32

_FACTORY_MARK = "__loom_trace_factory__"


def trace_id_from_headers(request_id: str | None, traceparent: str | None) -> str:
    """The trace id of a request.

    A safe ``x-request-id`` wins; else the trace-id part of a valid W3C ``traceparent``; else
    a new id.

    Args:
        request_id: The request-id header, if sent.
        traceparent: The ``traceparent`` header, if sent.

    Returns:
        The trace id.
    """
    safe = sanitize_trace_id(request_id.strip() if request_id is not None else None)
    if safe is not None:
        return safe
    if traceparent is not None:
        match = _TRACEPARENT.match(traceparent.strip().lower())
        if match and match.group(1) != "ff" and match.group(2) != _ZERO_TRACE:
            return match.group(2)
    return new_trace_id()


class TraceIdFilter(logging.Filter):
    """Adds ``record.trace_id`` (the current trace id, or ``-``) for formatters to print.

    Attach it to a handler: ``handler.addFilter(TraceIdFilter())`` and use ``%(trace_id)s``.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "trace_id"):
            record.trace_id = current_trace_id.get() or "-"
        return True


def install_trace_id_records() -> None:
    """Give every log record a ``trace_id`` attribute, whatever logger or handler it goes to.

    The record factory is process-wide by nature; the value comes from a context variable, so
    several applications in one process each see their own requests' ids. Installing twice
    changes nothing.
    """
    previous = logging.getLogRecordFactory()
    if getattr(previous, _FACTORY_MARK, False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.trace_id = current_trace_id.get() or "-"
        return record

    setattr(factory, _FACTORY_MARK, True)
    logging.setLogRecordFactory(factory)
