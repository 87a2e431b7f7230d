"""Telling outages from failures, the outage backoff, and logging an outage once."""

from __future__ import annotations

import logging

import pytest

from loom.core.errors import JobError, LoomError, UnavailableError
from loom.core.outbox import OUTAGE_BACKOFF_MAX, Backoff, OutageLog, is_unavailable


class DriverError(Exception):
    """Stands for a driver error whose connection died (SQLAlchemy sets the attribute)."""

    connection_invalidated = True


def _raised_from(cause: BaseException) -> LoomError:
    try:
        raise cause
    except BaseException as exc:
        try:
            raise LoomError("wrapped") from exc
        except LoomError as wrapped:
            return wrapped


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (UnavailableError("the database does not answer"), True),
        (ConnectionRefusedError(111, "refused"), True),
        (TimeoutError("connect timed out"), True),
        (DriverError("connection was closed in the middle of operation"), True),
        (_raised_from(UnavailableError("down")), True),
        (ValueError("a bug"), False),
        (JobError("the table 'loom_outbox' does not exist"), False),
        (_raised_from(KeyError("k")), False),
    ],
)
def test_an_outage_is_told_from_a_failure(error: BaseException, expected: bool) -> None:
    assert is_unavailable(error) is expected


def test_the_outage_backoff_never_spins_and_is_capped() -> None:
    assert Backoff.for_outages(0.0, 300.0) == Backoff(base=0.01, ceiling=OUTAGE_BACKOFF_MAX)
    assert Backoff.for_outages(1.0, 5.0) == Backoff(base=1.0, ceiling=5.0)
    assert Backoff(1.0, 30.0).delay(20, rng=lambda: 1.0) == 30.0


def test_an_outage_is_logged_when_it_starts_changes_cause_and_ends(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="test.outage")
    log = OutageLog(logging.getLogger("test.outage"), "relay r1", "messages wait")
    for _ in range(3):
        log.failed(UnavailableError("the database does not answer"))
    log.failed(JobError("the table 'loom_outbox' does not exist", code="outbox_table_missing"))
    log.failed(JobError("the table 'loom_outbox' does not exist", code="outbox_table_missing"))
    assert log.ongoing
    log.recovered()
    log.recovered()  # nothing to report twice
    log.failed(ValueError("a bug"))
    log.failed(ValueError("a bug"))

    lines = [(r.levelname, r.getMessage(), r.exc_info is not None) for r in caplog.records]
    assert [line for line in lines if line[0] != "DEBUG"] == [
        ("WARNING", "relay r1 is waiting: the database does not answer; messages wait", False),
        (
            "WARNING",
            "relay r1 is waiting: the table 'loom_outbox' does not exist; messages wait",
            False,
        ),
        ("INFO", lines[5][1], False),
        ("ERROR", "relay r1 failed: ValueError('a bug'); messages wait", True),
    ]
    assert lines[5][1].startswith("relay r1 resumed after 5 failed tries over ")
    assert sum(1 for line in lines if line[0] == "DEBUG") == 4
