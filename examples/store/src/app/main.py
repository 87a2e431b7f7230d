"""The store's ASGI application: ``uvicorn app.main:app`` (with ``src`` on the path)."""

from __future__ import annotations

from pathlib import Path

from loom.rest.fastapi.auto import create_app

# Resolved against this file, so the app starts from any working directory.
CONFIG = Path(__file__).resolve().parents[2] / "config" / "api.yaml"

app = create_app(CONFIG)
