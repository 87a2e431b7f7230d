"""The request-context middleware: trace id, request metrics, and the last line against crashes.

A pure ASGI middleware (``BaseHTTPMiddleware`` costs a task and a stream per request). For each
HTTP request it picks the trace id (``x-request-id``, else a W3C ``traceparent``, else a new
one), sets ``loom.core.trace.current_trace_id`` for the request, echoes the id on the response,
counts the request by route template and status, and turns an exception that escaped everything
else into a logged 500 problem document.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from loom.core.trace import current_trace_id
from loom.rest._problem import PROBLEM_MEDIA_TYPE, encode_problem
from loom.rest._trace import trace_id_from_headers
from loom.rest.fastapi._responses import crash_problem
from loom.rest.fastapi._state import HttpMetrics

logger = logging.getLogger("loom.rest")

ROUTE_KEY = "loom.route"
"""Scope key where endpoints put their route template (the metrics label)."""

UNMATCHED = "unmatched"
"""The route label of requests no route matched (one label, not one per URL)."""


class RequestContextMiddleware:
    """See the module docstring.

    Args:
        app: The wrapped ASGI application.
        header: The request-id header (``config.trace.header``); ``None`` turns tracing off.
        metrics: Where requests are counted, or ``None``.
    """

    def __init__(self, app: ASGIApp, *, header: str | None, metrics: HttpMetrics | None) -> None:
        self.app = app
        self.header = header.lower().encode("latin-1") if header else None
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        trace_id = self._trace_id(scope) if self.header is not None else None
        token = current_trace_id.set(trace_id)
        started = time.perf_counter()
        status = 500
        response_started = False
        echo = (self.header, trace_id.encode("latin-1")) if self.header and trace_id else None

        async def send_with_context(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                if echo is not None:
                    message = {**message, "headers": [*message.get("headers", ()), echo]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_context)
        except Exception:
            logger.exception(
                "unhandled error in %s %s (trace_id=%s)", scope["method"], scope["path"], trace_id
            )
            if not response_started:
                await _send_crash(send_with_context)
            # Re-raising would only make the server log it twice and drop the connection; the
            # problem document is the answer and the log above keeps the traceback.
        finally:
            if self.metrics is not None:
                self._record(scope, status, time.perf_counter() - started)
            current_trace_id.reset(token)

    def _trace_id(self, scope: Scope) -> str:
        request_id: str | None = None
        traceparent: str | None = None
        for name, value in scope["headers"]:
            if name == self.header:
                request_id = value.decode("latin-1")
            elif name == b"traceparent":
                traceparent = value.decode("latin-1")
        return trace_id_from_headers(request_id, traceparent)

    def _record(self, scope: Scope, status: int, elapsed: float) -> None:
        assert self.metrics is not None
        route = _route_label(scope)
        method = scope["method"]
        self.metrics.requests.inc(method=method, route=route, status=status)
        self.metrics.latency.observe(elapsed, method=method, route=route)


def _route_label(scope: Scope) -> str:
    label: Any = scope.get(ROUTE_KEY)
    if isinstance(label, str):
        return label
    path = getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) else UNMATCHED


async def _send_crash(send: Send) -> None:
    body = encode_problem(crash_problem())
    await send(
        {
            "type": "http.response.start",
            "status": 500,
            "headers": [
                (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
