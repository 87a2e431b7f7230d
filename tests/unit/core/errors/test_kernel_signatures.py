"""loom-kernel's error constructors build Loom's classes, with loom-kernel's statuses."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from loom.core.errors import (
    Conflict,
    ConflictError,
    DomainError,
    FieldError,
    Forbidden,
    ForbiddenError,
    InsufficientAuthentication,
    InternalError,
    LoomError,
    NotFound,
    NotFoundError,
    RateLimited,
    RateLimitedError,
    RuleViolation,
    RuleViolationError,
    RuleViolations,
    SystemError,
    Unauthenticated,
    UnauthenticatedError,
    ValidationError,
)
from loom.core.errors.codes import ErrorCode


def test_not_found_takes_the_entity_and_an_id_keyword() -> None:
    error = NotFound("User", id=42)

    assert type(error) is NotFoundError
    assert (error.status, error.code) == (404, "not_found")
    assert (error.entity, error.id) == ("User", 42)
    assert error.message == "User with id=42 not found"
    assert str(error) == "User with id=42 not found"


def test_not_found_keeps_loom_s_own_message_form() -> None:
    error = NotFoundError("Product 7 not found")

    assert error.message == "Product 7 not found"
    assert (error.entity, error.id) == (None, None)
    assert NotFoundError("gone", entity="Product", id=7).message == "gone"


def test_a_not_found_id_may_be_none_or_a_string() -> None:
    assert NotFound("Order", id=None).message == "Order with id=None not found"
    assert NotFound("Order", id="a-1").message == "Order with id='a-1' not found"


def test_rule_violation_takes_a_field_and_a_message() -> None:
    error = RuleViolation("email", "Disposable emails not allowed")

    assert type(error) is RuleViolationError
    assert error.status == 422
    assert error.field == "email"
    assert error.message == "Disposable emails not allowed"
    assert str(error) == "email: Disposable emails not allowed"
    assert error.errors == (FieldError("email", "Disposable emails not allowed"),)
    assert error.violations == (error,)


def test_rule_violations_gathers_violations() -> None:
    error = RuleViolations(
        [RuleViolation("email", "taken"), RuleViolation("age", "must be an adult")]
    )

    assert type(error) is RuleViolationError
    assert error.status == 422
    assert error.errors == (FieldError("email", "taken"), FieldError("age", "must be an adult"))
    assert [(v.field, v.message) for v in error.violations] == [
        ("email", "taken"),
        ("age", "must be an adult"),
    ]
    assert str(error) == "email: taken; age: must be an adult"


def test_loom_s_rule_violation_form_still_works() -> None:
    error = RuleViolationError("2 rules refused", errors=[FieldError("a", "x")])

    assert error.message == "2 rules refused"
    assert error.field == "a"
    assert [(v.field, v.message) for v in error.violations] == [("a", "x")]


def test_conflict_takes_a_message() -> None:
    error = Conflict("email already used")

    assert type(error) is ConflictError
    assert (error.status, error.message) == (409, "email already used")


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (Unauthenticated(), 401, "unauthenticated"),
        (Unauthenticated("log in first"), 401, "unauthenticated"),
        (
            InsufficientAuthentication(max_age=300, acr_values=("urn:mfa",)),
            401,
            "insufficient_authentication",
        ),
        (Forbidden(), 403, "forbidden"),
        (Forbidden("no", reason="mfa_required", missing=("orders:write",)), 403, "forbidden"),
        (RateLimited(retry_after=2.2), 429, "rate_limited"),
        (SystemError("disk full"), 500, "system_error"),
        (DomainError("taken", code="conflict"), 409, "conflict"),
        (DomainError("nope", code=ErrorCode.NOT_FOUND), 404, "not_found"),
        (DomainError("odd", code="something_else"), 500, "something_else"),
        (LoomError("slow down", code="rate_limited"), 429, "rate_limited"),
    ],
)
def test_loom_kernel_errors_answer_with_its_statuses(
    error: LoomError, status: int, code: str
) -> None:
    assert (error.status, error.code) == (status, code)


def test_the_kernel_names_are_loom_s_classes() -> None:
    assert Unauthenticated is UnauthenticatedError
    assert Forbidden is ForbiddenError
    assert RateLimited is RateLimitedError
    assert SystemError is InternalError
    assert issubclass(InsufficientAuthentication, UnauthenticatedError)
    for cls in (NotFoundError, ConflictError, ValidationError, ForbiddenError, RateLimitedError):
        assert issubclass(cls, DomainError)


def test_details_of_access_errors_are_kept() -> None:
    forbidden = Forbidden("no", reason="mfa_required", missing=["orders:write"])
    step_up = InsufficientAuthentication(max_age=300, acr_values=("urn:mfa",))

    assert (forbidden.reason, forbidden.missing) == ("mfa_required", ("orders:write",))
    assert (step_up.max_age, step_up.acr_values) == (300, ("urn:mfa",))
    assert RateLimited(retry_after=0.1).retry_after == 1
    assert RateLimited(retry_after=2.2).retry_after == 3


@pytest.mark.parametrize(
    ("build", "complaint"),
    [
        (lambda: Forbidden(reason=" "), "reason"),
        (lambda: Forbidden(missing="orders:write"), "missing"),
        (lambda: InsufficientAuthentication(max_age=-1), "max_age"),
        (lambda: InsufficientAuthentication(acr_values="urn:mfa"), "acr_values"),
        (lambda: InsufficientAuthentication(acr_values=('has "quote"',)), "acr_values"),
        (lambda: RateLimited(retry_after=float("inf")), "retry_after"),
    ],
)
def test_invalid_details_are_refused(build: Callable[[], object], complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        build()
