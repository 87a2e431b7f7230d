"""Reading ``exchanges.json``: request templates, captured values and recorded shapes.

Shared by the suite and by ``scripts/record_kernel_store.py``, which runs under loom-kernel 9:
standard library only.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

FILE = Path(__file__).with_name("exchanges.json")
"""The exchanges, in order, with what loom-kernel 9 answered to each."""

TEMPLATE = re.compile(r"\{([a-z_0-9]+)\}")
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$")

PLACEHOLDER_KEYS = {
    "trace_id": "<trace_id>",
    "message": "<text>",
    "nextCursor": "<cursor>",
    "next_cursor": "<cursor>",
    "jobId": "<uuid>",
    "job_id": "<uuid>",
}
"""Members whose values change from run to run (or are each framework's own wording)."""


def load() -> dict[str, Any]:
    """The document: ``{"exchanges": [...], "recorded_with": ...}``."""
    document: dict[str, Any] = json.loads(FILE.read_text())
    return document


def fill(template: Any, captured: dict[str, Any]) -> Any:
    """``template`` with ``{name}`` replaced by captured values (a whole string keeps its type).

    Raises:
        KeyError: A name that was not captured.
    """
    if isinstance(template, dict):
        return {key: fill(value, captured) for key, value in template.items()}
    if isinstance(template, list):
        return [fill(item, captured) for item in template]
    if isinstance(template, str):
        whole = TEMPLATE.fullmatch(template)
        if whole:
            return captured[whole.group(1)]
        return TEMPLATE.sub(lambda match: str(captured[match.group(1)]), template)
    return template


def pick(body: Any, path: str) -> Any:
    """The value at a dotted ``path`` of a JSON body (``items.0.id``)."""
    for part in path.split("."):
        body = body[int(part)] if isinstance(body, list) else body[part]
    return body


def shape(value: Any, key: str | None = None) -> Any:
    """``value`` with run-dependent values replaced by placeholders (``<datetime>``, ...)."""
    if isinstance(value, dict):
        return {k: shape(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(item) for item in value]
    if isinstance(value, str):
        if key in PLACEHOLDER_KEYS:
            return PLACEHOLDER_KEYS[key]
        if DATETIME.match(value):
            return "<datetime>"
    return value
