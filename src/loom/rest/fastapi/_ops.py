"""Operational endpoints: ``/health`` (liveness), ``/ready`` (readiness), ``/metrics``."""

from __future__ import annotations

import msgspec
from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response

from loom.core.trace import current_trace_id
from loom.rest._metrics import CONTENT_TYPE
from loom.rest._problem import PROBLEM_MEDIA_TYPE, make_problem
from loom.rest.fastapi._middleware import ROUTE_KEY
from loom.rest.fastapi._state import LoomState

_OK = msgspec.json.encode({"status": "ok"})


def install_ops(app: FastAPI, state: LoomState) -> None:
    """Add the endpoints the configuration switches on (``rest.health``, ``rest.ready``,
    ``metrics.enabled``/``metrics.path``); none of them appears in the OpenAPI document."""
    config = state.kernel.config

    async def health(request: Request) -> Response:
        request.scope[ROUTE_KEY] = "/health"
        return Response(_OK, media_type="application/json")

    async def ready(request: Request) -> Response:
        request.scope[ROUTE_KEY] = "/ready"
        report = await state.readiness.run()
        if report.ready:
            return Response(msgspec.json.encode(report), media_type="application/json")
        down = [name for name, check in report.checks.items() if check.status == "down"]
        problem = make_problem(
            503,
            "not_ready",
            f"not ready: {', '.join(down)} does not answer; check the server and the "
            "configured URL",
            trace_id=current_trace_id.get(),
        )
        # The problem document carries the checks too, so a probe's log shows which failed.
        body = (
            msgspec.json.encode(problem)[:-1]
            + b',"checks":'
            + msgspec.json.encode(report.checks)
            + b"}"
        )
        return Response(body, status_code=503, media_type=PROBLEM_MEDIA_TYPE)

    async def metrics(request: Request) -> Response:
        request.scope[ROUTE_KEY] = config.metrics.path
        return Response(state.metrics.render(), media_type=CONTENT_TYPE)

    if config.rest.health:
        app.add_api_route("/health", health, methods=["GET"], include_in_schema=False)
    if config.rest.ready:
        app.add_api_route("/ready", ready, methods=["GET"], include_in_schema=False)
    if config.metrics.enabled:
        app.add_api_route(config.metrics.path, metrics, methods=["GET"], include_in_schema=False)
