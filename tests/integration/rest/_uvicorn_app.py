"""App factory for ``python -m uvicorn --factory``: the store on the config in ``LOOM_CONFIG``.

The smoke test writes that config (the store's ``api.yaml`` included, plus what an environment
variable cannot say, such as ``database.connect_args``) and starts uvicorn on this factory.
"""

from __future__ import annotations

import os

from fastapi import FastAPI

from loom.rest.fastapi.auto import create_app


def store() -> FastAPI:
    """The store application of the config file in ``LOOM_CONFIG``."""
    return create_app(os.environ["LOOM_CONFIG"])
