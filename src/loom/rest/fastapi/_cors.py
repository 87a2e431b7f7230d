"""``rest.cors``: Starlette's CORS middleware, mounted from the configuration."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from loom.core.config import CorsSection


def install_cors(app: FastAPI, cors: CorsSection) -> None:
    """Answer preflights and add CORS headers as ``rest.cors`` says.

    Added last, so it wraps everything else: error answers carry the headers too, and a
    browser can read a problem document.
    """
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(cors.allow_origins),
        allow_origin_regex=cors.allow_origin_regex,
        allow_methods=list(cors.allow_methods),
        allow_headers=list(cors.allow_headers),
        allow_credentials=cors.allow_credentials,
        expose_headers=list(cors.expose_headers),
        max_age=cors.max_age,
    )
