"""``make demo``: the store API of the reference application, on SQLite, at 127.0.0.1:8000.

Every run starts from a new, empty SQLite file in a temporary folder (removed when the demo
stops), which the example's migrations bring to their head (``loom db upgrade``, printed as it
runs), so the example requests answer the same each time. Set ``DATABASE_URL`` (for example
``postgresql+asyncpg://postgres@127.0.0.1:5432/test``) to run the same application on
PostgreSQL; that database is kept between runs, and ``loom db downgrade
examples/store/config/api.yaml base`` empties it again.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import uvicorn

from loom.rest.fastapi.auto import create_app

HOST = os.environ.get("LOOM_DEMO_HOST", "127.0.0.1")
PORT = int(os.environ.get("LOOM_DEMO_PORT", "8000"))
ROOT = Path(__file__).resolve().parent.parent
CONFIG = Path(__file__).resolve().parent / "store" / "config" / "api.yaml"


def banner(base: str, database: str, fresh: bool) -> str:
    """What the demo prints before serving."""
    kept = (
        "a new SQLite file for this run"
        if fresh
        else f"kept between runs; empty it with: loom db downgrade {_shown(CONFIG)} base"
    )
    return "\n".join(
        [
            f"Loom store API: {base}",
            f"  OpenAPI docs: {base}/docs",
            f"  database:     {database} ({kept})",
            "",
            "Try:",
            f"  curl -s -X POST {base}/products -H 'content-type: application/json' \\",
            '       -d \'{"sku": "LAMP-1", "name": "Desk lamp", "category": "home", '
            '"price_cents": 2900, "stock": 2}\'',
            f"  curl -s '{base}/products?category=home&sort=-price_cents&limit=10'",
            f"  curl -s '{base}/products/low-stock'",
            "",
            "Ctrl+C stops the server.",
        ]
    )


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def migrate() -> None:
    """Run ``loom db upgrade`` on the example's config, as a user would."""
    print(f"$ loom db upgrade {_shown(CONFIG)}", flush=True)
    command = [sys.executable, "-m", "loom.cli", "db", "upgrade", str(CONFIG)]
    result = subprocess.run(command, check=False)
    if result.returncode != 0:
        raise SystemExit(result.returncode)


def main() -> None:
    """Migrate a fresh database, print the URLs and example requests, serve until stopped."""
    with tempfile.TemporaryDirectory(prefix="loom-demo-") as folder:
        fresh = "DATABASE_URL" not in os.environ
        if fresh:
            os.environ["DATABASE_URL"] = f"sqlite+aiosqlite:///{Path(folder) / 'store.db'}"
        migrate()
        print(banner(f"http://{HOST}:{PORT}", os.environ["DATABASE_URL"], fresh), flush=True)
        uvicorn.run(create_app(CONFIG), host=HOST, port=PORT, log_level="info")


if __name__ == "__main__":
    main()
