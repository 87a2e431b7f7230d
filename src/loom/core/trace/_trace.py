"""Trace id context variable and helpers."""

from __future__ import annotations

import contextvars
import re
import uuid

current_trace_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "loom_trace_id", default=None
)
"""The trace id of the request or job running in this task (``x-request-id``)."""

_SAFE = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


def new_trace_id() -> str:
    """A fresh random trace id (32 hex characters, as W3C trace ids)."""
    return uuid.uuid4().hex


def sanitize_trace_id(value: str | None) -> str | None:
    """Return ``value`` when it is a safe trace id (letters, digits, ``._:-``, 1-128 chars)."""
    if value is None or not _SAFE.match(value):
        return None
    return value
