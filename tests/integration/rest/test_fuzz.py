"""A property-based fuzz of the store API from its own OpenAPI document (schemathesis).

Every documented operation gets valid and invalid requests (bodies, path and query parameters,
headers) generated from the schema; each response must not be a server error and must match
what the document says for its status (problem documents for 4xx included). Beside what the
schema suggests, every other request has one value swapped for an edge value no schema would
generate on its own: strings that are long, empty or hold NUL, integers past 32 and 64 bits,
JSON nested past the depth limit, pages past the largest offset, ``in`` lists past the value
limit. The run is derandomized with a fixed number of examples per operation, so CI sees the
same requests every time.

The app runs in process on the test's database, SQLite and PostgreSQL (the two refuse
different things, so a fuzz of one alone misses the other's 500s); schemathesis starts its
lifespan (the kernel) on its own event loop thread at the first request, and the fixture shuts
it down after each operation.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import response_schema_conformance

from loom.core.query import MAX_FILTER_VALUES
from loom.rest.fastapi.auto import create_app
from tests.conftest import Database
from tests.integration.rest.conftest import STORE, database_overrides

pytestmark = pytest.mark.integration

EXAMPLES_PER_OPERATION = 25


def _nested(depth: int) -> Any:
    value: Any = []
    for _ in range(depth):
        value = [value]
    return value


EDGE_TEXT = ("", "x" * 5000, "\x00", "La\x00mp", "%_\\", "😀" * 300, "9" * 5000)
EDGE_INTS = (-1, 2**31 - 1, 2**31, -(2**31) - 1, 2**63 - 1, 2**63, -(2**63) - 1, 10**30)
EDGE_JSON = (_nested(65), _nested(500), {"a": _nested(70)})
EDGE_QUERY = (
    *EDGE_TEXT,
    "1000000000",
    str(2**63),
    ",".join(["1"] * (MAX_FILTER_VALUES + 1)),
    ",".join(["id"] * 1000),
)

# The document needs no database: the app is only built here (its lifespan never starts).
schema = schemathesis.openapi.from_dict(create_app(STORE / "api.yaml").openapi())


def _swap_one(value: dict[str, Any], names: list[str], edges: tuple[Any, ...]) -> st.SearchStrategy:
    """The value as generated, or (as often) with one of ``names`` set to an edge value."""
    if not names:
        return st.just(value)
    swapped = st.builds(
        lambda name, edge: {**value, name: edge}, st.sampled_from(names), st.sampled_from(edges)
    )
    return st.one_of(st.just(value), swapped)


@schema.hook
def flatmap_body(context: schemathesis.HookContext, body: Any) -> st.SearchStrategy:
    if not isinstance(body, dict):
        return st.just(body)
    return _swap_one(body, sorted(body), (*EDGE_TEXT, *EDGE_INTS, *EDGE_JSON))


@schema.hook
def flatmap_query(context: schemathesis.HookContext, query: Any) -> st.SearchStrategy:
    operation = context.operation
    names = sorted(p.name for p in operation.query) if operation is not None else []
    return _swap_one(dict(query or {}), names, EDGE_QUERY)


@schema.hook
def flatmap_path_parameters(context: schemathesis.HookContext, path: Any) -> st.SearchStrategy:
    if not isinstance(path, dict):
        return st.just(path)
    return _swap_one(path, sorted(path), (*EDGE_INTS, "\x00", "9" * 5000))


@pytest.fixture
def store_app(db: Database) -> Iterator[FastAPI]:
    """The store app on the test's database; its lifespan starts on the first request."""
    app = create_app(STORE / "api.yaml", overrides=database_overrides(db))
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
