"""Record what loom-kernel 9 answers to the kernel store's HTTP exchanges.

The kernel store (``examples/kernel_store``) is written in loom-kernel 9's idioms; its HTTP suite
(``tests/integration/kernel_store``) replays ``exchanges.json`` against Loom with
``rest.compat: loom_kernel`` and expects what loom-kernel 9 itself answered. This script makes
those expectations: it boots the example under loom-kernel 9 on a fresh SQLite file, sends every
request in order and writes the status and body shape of each answer back into the file.

loom-kernel imports as ``loom``, like Loom, so run it from a virtual environment of its own::

    python3 -m venv kernel-venv
    kernel-venv/bin/pip install 'loom-kernel[rest,sqlalchemy]==9.0.0' aiosqlite httpx
    kernel-venv/bin/python scripts/record_kernel_store.py

Shapes keep every value but those that change from run to run, replaced by placeholders the
suite checks by kind: ``<datetime>``, ``<trace_id>``, ``<text>`` (messages, whose wording is
each framework's own), ``<cursor>`` and ``<uuid>``. An exchange marked ``"loom"`` keeps the
expectation written by hand (loom-kernel answered a 5xx, leaked driver text, or behaves
differently on purpose, as its ``why`` says); the script only notes loom-kernel's status beside
it. ``make test`` never runs this script.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "kernel_store"
EXCHANGES = ROOT / "tests" / "integration" / "kernel_store" / "exchanges.json"

# loom-kernel 9 signs cursors with a configured key unless told it is a development run.
OVERLAY = "persistence:\n  cursors:\n    signing: ephemeral\n"

DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$")
PLACEHOLDER_KEYS = {
    "trace_id": "<trace_id>",
    "message": "<text>",
    "nextCursor": "<cursor>",
    "next_cursor": "<cursor>",
    "jobId": "<uuid>",
    "job_id": "<uuid>",
}
TEMPLATE = re.compile(r"\{([a-z_0-9]+)\}")


def shape(value: Any, key: str | None = None) -> Any:
    """``value`` with run-dependent values replaced by placeholders."""
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


def fill(template: Any, captured: dict[str, Any]) -> Any:
    """``template`` with ``{name}`` replaced by captured values (a whole string keeps its type)."""
    if isinstance(template, dict):
        return {k: fill(v, captured) for k, v in template.items()}
    if isinstance(template, list):
        return [fill(item, captured) for item in template]
    if isinstance(template, str):
        whole = TEMPLATE.fullmatch(template)
        if whole:
            return captured[whole.group(1)]
        return TEMPLATE.sub(lambda m: str(captured[m.group(1)]), template)
    return template


def pick(body: Any, path: str) -> Any:
    """The value at a dotted ``path`` of a JSON body (``items.0.id``)."""
    for part in path.split("."):
        body = body[int(part)] if isinstance(body, list) else body[part]
    return body


async def record(exchanges: list[dict[str, Any]], database: Path, overlay: Path) -> None:
    import httpx

    os.environ["DATABASE_URL"] = f"sqlite+aiosqlite:///{database}"
    os.environ["LOOM_ENV"] = "development"
    from loom.rest.fastapi.auto import create_app  # loom-kernel 9's

    app = create_app(str(EXAMPLE / "config" / "api.yaml"), str(overlay))
    captured: dict[str, Any] = {}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://kernel") as client:
            for exchange in exchanges:
                request = exchange["request"]
                kwargs: dict[str, Any] = {"headers": request.get("headers", {})}
                if "json" in request:
                    kwargs["json"] = fill(request["json"], captured)
                if "raw" in request:
                    kwargs["content"] = request["raw"].encode()
                path = fill(request["path"], captured)
                response = await client.request(request["method"], path, **kwargs)
                body = response.json() if response.content else None
                for name, where in exchange.get("capture", {}).items():
                    captured[name] = pick(body, where)
                if "loom" in exchange:
                    exchange["loom"]["loom_kernel_status"] = response.status_code
                    print(f"{response.status_code} (kept Loom's) {exchange['name']}")
                    continue
                if response.status_code >= 500:
                    raise SystemExit(
                        f"{exchange['name']}: loom-kernel answered {response.status_code}; "
                        'mark the exchange "loom" and write Loom\'s expectation'
                    )
                exchange["expect"] = {"status": response.status_code, "body": shape(body)}
                print(f"{response.status_code} {exchange['name']}")


def main() -> None:
    document = json.loads(EXCHANGES.read_text())
    sys.path.insert(0, str(EXAMPLE / "src"))
    with tempfile.TemporaryDirectory() as scratch:
        overlay = Path(scratch) / "overlay.yaml"
        overlay.write_text(OVERLAY)
        asyncio.run(record(document["exchanges"], Path(scratch) / "kernel_store.db", overlay))
    from importlib.metadata import version

    document["recorded_with"] = f"loom-kernel {version('loom-kernel')} on SQLite"
    EXCHANGES.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    print(f"{len(document['exchanges'])} exchanges written to {EXCHANGES.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
