"""A property-based fuzz of the store API from its own OpenAPI document (schemathesis).

Every documented operation gets valid and invalid requests (bodies, path and query parameters,
headers) generated from the schema; each response must not be a server error and must match
what the document says for its status (problem documents for 4xx included). The run is
derandomized with a fixed number of examples per operation, so CI sees the same requests every
time, in well under two minutes.

The app runs in process on a SQLite file of the test; schemathesis starts its lifespan (the
kernel) on its own event loop thread at the first request, and the fixture shuts it down after
each operation.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import response_schema_conformance

from loom.rest.fastapi.auto import create_app
from tests.integration.rest.conftest import STORE

pytestmark = pytest.mark.integration

EXAMPLES_PER_OPERATION = 25


# The document needs no database: the app is only built here (its lifespan never starts).
schema = schemathesis.openapi.from_dict(create_app(STORE / "api.yaml").openapi())


@pytest.fixture
def store_app(tmp_path: Path) -> Iterator[FastAPI]:
    """The store app on a SQLite file of the test; its lifespan starts on the first request."""
    app = create_app(
        STORE / "api.yaml",
        overrides={"database.url": f"sqlite+aiosqlite:///{tmp_path / 'fuzz.db'}"},
    )
    try:
        yield app
    finally:
        # schemathesis keeps an app's lifespan for the whole process: stop this test's kernel.
        asgi.shutdown_lifespans()


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_server_error_and_every_response_matches_its_schema(
    case: schemathesis.Case[Any], store_app: FastAPI
) -> None:
    case.call_and_validate(app=store_app, checks=[not_a_server_error, response_schema_conformance])
