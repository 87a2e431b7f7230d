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
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "kernel_store"
sys.path.insert(0, str(ROOT))

# Standard library only: it imports under loom-kernel 9 as under Loom.
from tests.integration.kernel_store.exchanges import FILE, fill, load, pick, shape  # noqa: E402

# loom-kernel 9 signs cursors with a configured key unless told it is a development run.
OVERLAY = "persistence:\n  cursors:\n    signing: ephemeral\n"


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
    document = load()
    sys.path.insert(0, str(EXAMPLE / "src"))
    with tempfile.TemporaryDirectory() as scratch:
        overlay = Path(scratch) / "overlay.yaml"
        overlay.write_text(OVERLAY)
        asyncio.run(record(document["exchanges"], Path(scratch) / "kernel_store.db", overlay))
    from importlib.metadata import version

    document["recorded_with"] = f"loom-kernel {version('loom-kernel')} on SQLite"
    FILE.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    print(f"{len(document['exchanges'])} exchanges written to {FILE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
