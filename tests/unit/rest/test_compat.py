"""loom-kernel 9's wire format: which types are renamed, and the error bodies of each error."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest

from loom.core.command import Command
from loom.core.errors import (
    ConflictError,
    CursorError,
    FieldError,
    LoomError,
    NotFoundError,
    QueryError,
    RuleViolationError,
    UnavailableError,
    ValidationError,
)
from loom.core.model import model_info
from loom.core.query import CursorResult, PageResult
from loom.rest import ListQuery, RouteQuery, default_fields
from loom.rest._casing import CamelCase
from loom.rest._compat import error_body, kernel_renames, request_error_body
from loom.rest._errors import MalformedBodyError, UnsupportedMediaTypeError
from tests.unit.rest.models import Item


class Queued(msgspec.Struct, frozen=True, kw_only=True):
    job_id: str
    last_item: Item | None = None


class Restock(Command, frozen=True):
    unit_count: int


INFO = model_info(Item)
ROUTE = RouteQuery(
    listing=ListQuery(
        info=INFO, filterable=("price", "seen_at"), sortable=default_fields(INFO), aliases=None
    ),
    params={},
)


def test_models_commands_and_pages_are_renamed_other_structs_are_not() -> None:
    assert kernel_renames(Item)
    assert kernel_renames(Restock)
    assert kernel_renames(PageResult)
    assert kernel_renames(CursorResult)
    assert not kernel_renames(Queued)
    casing = CamelCase(renamed=kernel_renames)
    encode = casing.encoder(Queued)
    now = datetime(2020, 1, 2, tzinfo=UTC)
    item = Item(id=1, name="n", price=2, seen_at=None, created_at=now, updated_at=now)
    body = msgspec.json.decode(encode(Queued(job_id="j", last_item=item)))
    assert body["job_id"] == "j"  # declared name kept
    assert "seenAt" in body["last_item"]  # the nested model renamed
    assert casing.variant(msgspec.Struct) is msgspec.Struct
    assert casing.encoder(Restock)(Restock(unit_count=3)) == b'{"unitCount":3}'


def detail(exc: LoomError, route: RouteQuery | None = ROUTE) -> tuple[int, dict[str, Any]]:
    found = error_body(exc, "t1", route)
    assert found is not None
    status, content = found
    body = msgspec.json.decode(content)
    assert set(body) == {"detail"}
    assert body["detail"]["trace_id"] == "t1"
    return status, body["detail"]


def test_not_found_names_the_entity_and_id() -> None:
    status, found = detail(NotFoundError("Item", id=7))
    assert status == 404
    assert (found["code"], found["entity"], found["id"]) == ("not_found", "Item", 7)


@pytest.mark.parametrize(
    ("error", "status", "code", "fields"),
    [
        (ConflictError("taken"), 409, "conflict", None),
        (
            RuleViolationError("refused", errors=[FieldError("unit_count", "too few")]),
            422,
            "rule_violations",
            ["unit_count"],
        ),
        (
            ValidationError("invalid", errors=[FieldError("unitCount", "missing")]),
            422,
            "boundary_validation",
            ["unitCount"],
        ),
        (QueryError("bad", errors=[FieldError("limit", "x")]), 400, "bad_request", None),
        (QueryError("bad", errors=[FieldError("direction", "x")]), 400, "bad_request", None),
        (QueryError("bad", errors=[FieldError("colour", "x")]), 400, "unsupported_query", None),
        (QueryError("bad", errors=[FieldError("name", "x")]), 400, "unsupported_query", None),
        (
            QueryError("bad", errors=[FieldError("price__near", "x")]),
            400,
            "unsupported_query",
            None,
        ),
        (QueryError("bad", errors=[FieldError("sort", "x")]), 400, "unsupported_query", None),
        (CursorError("bad", errors=[FieldError("cursor", "x")]), 400, "unsupported_query", None),
        (
            QueryError("bad", errors=[FieldError("price__gt", "not an int")]),
            400,
            "query_validation",
            ["price"],
        ),
        (
            QueryError("bad", errors=[FieldError("seen_at", "not a date")]),
            400,
            "query_validation",
            ["seen_at"],
        ),
    ],
)
def test_each_error_has_loom_kernels_code(
    error: LoomError, status: int, code: str, fields: list[str] | None
) -> None:
    found_status, found = detail(error)
    assert (found_status, found["code"]) == (status, code)
    if fields is None:
        assert "violations" not in found
    else:
        assert [v["field"] for v in found["violations"]] == fields


@pytest.mark.parametrize(
    "error",
    [
        MalformedBodyError("not JSON"),
        UnsupportedMediaTypeError("text/plain"),
        UnavailableError("down"),
        LoomError("a bug"),
    ],
)
def test_what_loom_kernel_had_no_body_for_stays_a_problem(error: LoomError) -> None:
    assert error_body(error, "t1", ROUTE) is None


def test_requests_that_do_not_fit_the_route_are_rule_violations() -> None:
    body = msgspec.json.decode(request_error_body([FieldError("path.id", "not an int")], None))
    assert body["detail"]["code"] == "rule_violations"
    assert body["detail"]["violations"] == [{"field": "path.id", "message": "not an int"}]
