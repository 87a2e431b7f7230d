"""``make demo``: the store API of the reference application, on SQLite, at 127.0.0.1:8000.

Set ``DATABASE_URL`` (for example ``postgresql+asyncpg://postgres@127.0.0.1:5432/test``) to run
the same application on PostgreSQL.
"""

from __future__ import annotations

import os
from pathlib import Path

import uvicorn

from loom.rest.fastapi.auto import create_app

HOST = os.environ.get("LOOM_DEMO_HOST", "127.0.0.1")
PORT = int(os.environ.get("LOOM_DEMO_PORT", "8000"))
CONFIG = Path(__file__).resolve().parent / "store" / "config" / "api.yaml"


def banner(base: str) -> str:
    """What the demo prints before serving."""
    return "\n".join(
        [
            f"Loom store API: {base}",
            f"  OpenAPI docs: {base}/docs",
            f"  database:     {os.environ.get('DATABASE_URL', 'sqlite+aiosqlite:///./store.db')}",
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


def main() -> None:
    """Print the URLs and example requests, then serve until interrupted."""
    print(banner(f"http://{HOST}:{PORT}"), flush=True)
    uvicorn.run(create_app(CONFIG), host=HOST, port=PORT, log_level="info")


if __name__ == "__main__":
    main()
