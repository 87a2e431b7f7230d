"""The ASGI application: ``uvicorn shop.main:app`` (with ``src`` on the path)."""

from __future__ import annotations

from pathlib import Path

from loom.rest.fastapi.auto import create_app

CONFIG = Path(__file__).resolve().parents[2] / "config" / "api.yaml"

app = create_app(str(CONFIG))
