"""Problem documents, body checks, metrics, trace ids and readiness."""

from __future__ import annotations

import logging
import time

import msgspec
import pytest

from loom.core.command import decode_command
from loom.core.errors import (
    ConfigError,
    ConflictError,
    CursorError,
    FieldError,
    NotFoundError,
    QueryError,
    RuleViolationError,
    UnavailableError,
    ValidationError,
)
from loom.core.errors._errors import join_messages
from loom.core.trace import current_trace_id
from loom.rest._body import (
    check_declared_length,
    check_depth,
    check_media_type,
    check_object,
    field_errors,
    json_depth,
)
from loom.rest._errors import MalformedBodyError, PayloadTooLargeError, UnsupportedMediaTypeError
from loom.rest._health import CheckResult, Readiness
from loom.rest._metrics import MetricsRegistry
from loom.rest._problem import encode_problem, problem_from_error
from loom.rest._trace import TraceIdFilter, install_trace_id_records, trace_id_from_headers
from loom.rest.autocrud import auto_crud
from tests.unit.rest.models import Item


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (NotFoundError("Item 1 not found"), 404, "not_found"),
        (ConflictError("taken"), 409, "conflict"),
        (ValidationError("bad", errors=[FieldError("name", "missing")]), 422, "validation_error"),
        (QueryError("bad query"), 400, "invalid_query"),
        (CursorError("bad cursor"), 400, "invalid_cursor"),
        (RuleViolationError("rules", errors=[FieldError("a", "x")]), 422, "rule_violation"),
        (UnavailableError("db down"), 503, "unavailable"),
        (PayloadTooLargeError("big"), 413, "payload_too_large"),
        (UnsupportedMediaTypeError("xml"), 415, "unsupported_media_type"),
        (MalformedBodyError("broken"), 400, "malformed_body"),
    ],
)
def test_errors_map_to_their_status(error: ValidationError, status: int, code: str) -> None:
    problem = problem_from_error(error, trace_id="t")
    assert (problem.status, problem.code, problem.type) == (
        status,
        code,
        f"urn:loom:problem:{code}",
    )
    assert problem.detail == error.message
    assert problem.trace_id == "t"


def test_a_body_syntax_error_from_the_decoder_is_400() -> None:
    with pytest.raises(ValidationError) as info:
        decode_command(auto_crud(Item).create_command, b"{oops")
    problem = problem_from_error(info.value)
    assert (problem.status, problem.code) == (400, "malformed_body")
    named_body = ValidationError("bad", errors=[FieldError("body", "required field is missing")])
    assert problem_from_error(named_body).status == 422  # a command field called "body"


def test_server_errors_hide_their_message() -> None:
    problem = problem_from_error(ConfigError("dsn=postgres://user:pw@host"))
    assert problem.status == 500
    assert "pw" not in problem.detail
    document = msgspec.json.decode(encode_problem(problem))
    assert set(document) == {"type", "title", "status", "detail", "code"}
    errors = problem_from_error(ValidationError("v", errors=[FieldError("a", "b")]))
    assert msgspec.json.decode(encode_problem(errors))["errors"] == [{"field": "a", "message": "b"}]


def test_media_type_and_length_checks() -> None:
    check_media_type("application/json; charset=utf-8", True)
    check_media_type("application/vnd.api+json", True)
    check_media_type(None, False)
    for bad in ("text/plain", "application/xml", "multipart/form-data"):
        with pytest.raises(UnsupportedMediaTypeError, match="send application/json"):
            check_media_type(bad, True)
    with pytest.raises(UnsupportedMediaTypeError):
        check_media_type(None, True)
    assert check_declared_length("10", 10) == 10
    with pytest.raises(PayloadTooLargeError, match="limit of 10 bytes"):
        check_declared_length("11", 10)
    with pytest.raises(MalformedBodyError):
        check_declared_length("ten", 10)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"[]", "expected object, got array"),
        (b"1", "expected object, got number"),
        (b"x", "malformed"),
    ],
)
def test_non_object_bodies(body: bytes, message: str) -> None:
    with pytest.raises(MalformedBodyError) as info:
        check_object(body)
    assert info.value.errors[0].field == "body"
    assert info.value.errors[0].message.startswith(message)
    check_object(b'  {"a": 1}')


def test_field_errors_name_every_field() -> None:
    command = auto_crud(Item).create_command
    errors = field_errors(
        command, b'{"id": 1, "price": "x", "seen_at": "never", "zz": 1}', read_only={"id"}
    )
    assert [(e.field, e.message.split(";")[0].split(",")[0]) for e in errors] == [
        ("name", "required field is missing"),
        ("price", "expected int"),
        ("seen_at", "invalid RFC3339 encoded datetime"),
        ("id", "read-only field"),
        ("zz", "unknown field"),
    ]
    assert field_errors(command, b"[1]") == []


def test_metrics_render_in_the_prometheus_text_format() -> None:
    registry = MetricsRegistry()
    requests = registry.counter("http_requests_total", "Requests.", ("route", "status"))
    requests.inc(route='/a"b', status=200)
    requests.inc(2, route='/a"b', status=200)
    assert registry.counter("http_requests_total", "Requests.", ("route", "status")) is requests
    latency = registry.histogram("latency_seconds", "Latency.", buckets=(0.1, 1))
    latency.observe(0.05)
    latency.observe(0.5)
    latency.observe(5)
    registry.gauge("pool_size", "Pool.", function=lambda: 4)
    inflight = registry.gauge("inflight", "In flight.")
    inflight.inc()
    inflight.inc()
    inflight.dec()
    assert registry.render() == (
        "# HELP http_requests_total Requests.\n"
        "# TYPE http_requests_total counter\n"
        'http_requests_total{route="/a\\"b",status="200"} 3\n'
        "# HELP latency_seconds Latency.\n"
        "# TYPE latency_seconds histogram\n"
        'latency_seconds_bucket{le="0.1"} 1\n'
        'latency_seconds_bucket{le="1"} 2\n'
        'latency_seconds_bucket{le="+Inf"} 3\n'
        "latency_seconds_sum 5.55\n"
        "latency_seconds_count 3\n"
        "# HELP pool_size Pool.\n"
        "# TYPE pool_size gauge\n"
        "pool_size 4\n"
        "# HELP inflight In flight.\n"
        "# TYPE inflight gauge\n"
        "inflight 1\n"
    )
    assert requests.value(route='/a"b', status=200) == 3
    assert latency.count() == 3


def test_metric_declarations_that_clash_are_config_errors() -> None:
    registry = MetricsRegistry()
    registry.counter("jobs_total", "Jobs.", ("queue",))
    with pytest.raises(ConfigError, match="already registered as a counter"):
        registry.gauge("jobs_total", "Jobs.")
    with pytest.raises(ConfigError, match="not valid"):
        registry.counter("jobs-total", "Jobs.")
    with pytest.raises(ConfigError, match="declares \\['queue'\\]"):
        registry.counter("jobs_total", "Jobs.", ("queue",)).inc(kind="x")
    with pytest.raises(ConfigError, match="only goes up"):
        registry.counter("jobs_total", "Jobs.", ("queue",)).inc(-1, queue="q")


@pytest.mark.parametrize(
    ("request_id", "traceparent", "expected"),
    [
        ("abc", None, "abc"),
        ("abc", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "abc"),
        (
            None,
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "4bf92f3577b34da6a3ce929d0e0e4736",
        ),
        (
            "bad id",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "4bf92f3577b34da6a3ce929d0e0e4736",
        ),
    ],
)
def test_trace_ids_from_headers(
    request_id: str | None, traceparent: str | None, expected: str
) -> None:
    assert trace_id_from_headers(request_id, traceparent) == expected


@pytest.mark.parametrize(
    "traceparent",
    [
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "garbage",
    ],
)
def test_invalid_traceparents_give_a_new_id(traceparent: str) -> None:
    generated = trace_id_from_headers(None, traceparent)
    assert len(generated) == 32
    assert generated not in traceparent


def test_log_records_carry_the_trace_id() -> None:
    install_trace_id_records()
    install_trace_id_records()  # idempotent
    token = current_trace_id.set("trace-7")
    try:
        record = logging.getLogger("x").makeRecord("x", logging.INFO, "f", 1, "m", (), None)
        assert getattr(record, "trace_id", None) == "trace-7"
        bare = logging.LogRecord("x", logging.INFO, "f", 1, "m", (), None)
        assert TraceIdFilter().filter(bare)
        assert getattr(bare, "trace_id", None) == "trace-7"
    finally:
        current_trace_id.reset(token)


async def test_readiness_fails_only_on_critical_checks() -> None:
    readiness = Readiness(timeout=1)

    async def up() -> bool:
        return True

    async def degraded() -> CheckResult:
        return CheckResult(status="degraded", detail="redis down")

    async def broken() -> bool:
        raise OSError("refused")

    readiness.add("database", up, critical=True)
    readiness.add("cache", degraded)
    report = await readiness.run()
    assert (report.status, report.ready) == ("degraded", True)
    readiness.add("database", broken, critical=True)
    report = await readiness.run()
    assert (report.status, report.ready) == ("down", False)
    assert report.checks["database"] == CheckResult(status="down", detail="OSError: refused")
    assert readiness.names() == ("cache", "database")


@pytest.mark.parametrize(
    ("body", "depth"),
    [
        (b"1", 0),
        (b"{}", 1),
        (b'{"a": [1, {"b": []}]}', 4),
        (b'{"a": "[[[[\\"{{{{", "b": [1]}', 2),
        (b'{"a": "[[\\\\", "b": [[1]]}', 3),  # an escaped backslash ends before the quote
        (b'{"a": "\\\\\\"[[", "b": [[1]]}', 3),  # then an escaped quote: still a string
        (b"[" * 70 + b"]" * 70, 70),
    ],
)
def test_json_depth_counts_arrays_and_objects_outside_strings(body: bytes, depth: int) -> None:
    assert json_depth(body) == depth


@pytest.mark.parametrize(
    "body",
    [b'"x\\' * 300_000 + b"[" * 65, b'"' * 1_000_000 + b"[" * 65, b"[" * 500_000 + b"]" * 500_000],
    ids=["escapes", "quotes", "brackets"],
)
def test_measuring_depth_stays_linear_on_hostile_bodies(body: bytes) -> None:
    # A regex that retried from every quote took minutes on the first body; linear is ~0.1 s.
    started = time.perf_counter()
    json_depth(body)
    assert time.perf_counter() - started < 5


def test_a_body_nested_deeper_than_64_levels_is_refused() -> None:
    check_depth(b"[" * 64 + b"]" * 64)
    check_depth(b'{"s": "' + b"[" * 1000 + b'"}')  # brackets in a string do not nest
    check_depth(b"[" + b"[], " * 1000 + b"[]]")  # many brackets, shallow
    with pytest.raises(MalformedBodyError) as caught:
        check_depth(b"[" * 65 + b"]" * 65)
    assert caught.value.status == 400
    assert caught.value.errors == (FieldError("body", "nested 65 levels deep; the limit is 64"),)


def test_a_problem_lists_twenty_errors_and_counts_the_others() -> None:
    errors = [FieldError(f"f{i}", f"problem {i}") for i in range(1000)]
    problem = problem_from_error(QueryError("many", errors=errors))
    assert problem.errors is not None
    assert [e.field for e in problem.errors] == [f"f{i}" for i in range(20)]
    assert problem.more_errors == 980
    assert len(encode_problem(problem)) < 2_000
    few = problem_from_error(QueryError("few", errors=errors[:20]))
    assert few.more_errors is None
    assert b"more_errors" not in encode_problem(few)


def test_error_texts_stay_short_however_many_errors() -> None:
    errors = [FieldError(f"f{i}", f"problem {i}") for i in range(1000)]
    assert join_messages(errors) == "problem 0; problem 1; problem 2; and 997 more"
    assert join_messages(errors[:2]) == "problem 0; problem 1"
    text = str(ValidationError("bad", errors=errors))
    assert text.endswith("f19: problem 19; and 980 more)")
