"""Both documented error shapes become typed errors with the right flags."""

from __future__ import annotations

import secrets
from email.utils import formatdate

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vobiz.errors import (
    DEFAULT_RETRY_AFTER,
    AuthError,
    ClientError,
    Conflict,
    InsufficientBalance,
    NotFound,
    RateLimited,
    ServerError,
    TokenExpired,
    UnexpectedResponse,
    ValidationFailed,
    VobizError,
    error_from_response,
)

NOW = 1_800_000_000.0


def envelope(code, message, details=None, request_id="req_7a8b9c0d1e2f"):
    return {
        "status": "error",
        "error": {"code": code, "message": message, "details": details or {}},
        "timestamp": "2025-10-12T10:30:00.000Z",
        "requestId": request_id,
    }


def test_envelope_gives_code_message_details_and_request_id():
    body = envelope(
        "INSUFFICIENT_BALANCE",
        "Account balance too low to complete this operation",
        {"required": 1000, "available": 450, "currency": "USD"},
    )

    err = error_from_response(402, body, {})

    assert isinstance(err, InsufficientBalance)
    assert err.status == 402
    assert err.code == "INSUFFICIENT_BALANCE"
    assert err.message == "Account balance too low to complete this operation"
    assert err.details == {"required": 1000, "available": 450, "currency": "USD"}
    assert err.request_id == "req_7a8b9c0d1e2f"
    assert err.transient is False


def test_flat_error_takes_error_as_code():
    body = {"error": "not_found", "message": "number not found in inventory"}

    err = error_from_response(404, body, {"X-Request-ID": "hdr-1"})

    assert isinstance(err, NotFound)
    assert (err.code, err.message) == ("not_found", "number not found in inventory")
    assert err.request_id == "hdr-1"


def test_openapi_flat_shape_takes_api_id_as_request_id():
    body = {"api_id": "6d3f-api", "error": "forbidden", "message": "no"}

    err = error_from_response(403, body, {"X-Request-ID": "hdr-ignored"})

    assert isinstance(err, AuthError)
    assert err.request_id == "6d3f-api"


def test_sentence_in_error_field_is_a_message_not_a_code():
    err = error_from_response(
        409, {"error": "Username already exists", "code": 409}, {}
    )

    assert isinstance(err, Conflict)
    assert err.message == "Username already exists"
    assert err.code == "conflict"


def test_conflict_keeps_cool_off_in_details():
    body = {
        "error": "did_cool_off_in_effect",
        "message": "cool-off in effect",
        "cool_off_until": "2026-06-01T00:00:00Z",
        "cool_off_remaining_seconds": 86400,
    }

    err = error_from_response(409, body, {})

    assert isinstance(err, Conflict)
    assert err.code == "did_cool_off_in_effect"
    assert err.cool_off_until == "2026-06-01T00:00:00Z"
    assert err.details["cool_off_remaining_seconds"] == 86400


def test_validation_error_lists_messages_per_field():
    details = {
        "errors": [
            {"field": "username", "message": "too short", "code": "MIN_LENGTH"},
            {"field": "username", "message": "bad chars", "code": "INVALID_FORMAT"},
            {"field": "password", "message": "too short", "code": "MIN_LENGTH"},
        ]
    }

    err = error_from_response(422, envelope("VALIDATION_ERROR", "Invalid", details), {})

    assert isinstance(err, ValidationFailed)
    assert err.field_errors == {
        "username": ["too short", "bad chars"],
        "password": ["too short"],
    }


def test_token_expired_is_an_auth_error_of_its_own():
    err = error_from_response(
        401, envelope("TOKEN_EXPIRED", "Access token expired"), {}
    )

    assert isinstance(err, TokenExpired)
    assert isinstance(err, AuthError)


def test_insufficient_balance_code_wins_over_status():
    err = error_from_response(400, envelope("INSUFFICIENT_BALANCE", "low"), {})

    assert isinstance(err, InsufficientBalance)


@pytest.mark.parametrize(
    ("status", "cls", "transient"),
    [
        (400, ValidationFailed, False),
        (401, AuthError, False),
        (402, InsufficientBalance, False),
        (403, AuthError, False),
        (404, NotFound, False),
        (405, ClientError, False),
        (409, Conflict, False),
        (422, ValidationFailed, False),
        (429, RateLimited, True),
        (500, ServerError, True),
        (502, ServerError, True),
        (503, ServerError, True),
        (504, ServerError, True),
        (302, UnexpectedResponse, False),
    ],
)
def test_status_maps_to_class_and_transient_flag(status, cls, transient):
    err = error_from_response(status, None, {})

    assert type(err) is cls
    assert err.transient is transient
    assert err.status == status


def test_non_json_body_uses_the_reason_phrase():
    err = error_from_response(502, None, {}, reason="Bad Gateway")

    assert isinstance(err, ServerError)
    assert err.message == "Bad Gateway"
    assert str(err) == "502 server_error: Bad Gateway"


def test_retry_after_header_in_seconds_wins():
    body = envelope("RATE_LIMIT_EXCEEDED", "slow down", {"retryAfter": 5})

    err = error_from_response(429, body, {"Retry-After": "17"})

    assert isinstance(err, RateLimited)
    assert err.retry_after == 17


def test_retry_after_header_as_http_date():
    header = formatdate(NOW + 30, usegmt=True)

    err = error_from_response(429, None, {"Retry-After": header}, now=NOW)

    assert isinstance(err, RateLimited)
    assert err.retry_after == 30


def test_retry_after_falls_back_to_body_then_sixty():
    body = envelope("RATE_LIMIT_EXCEEDED", "CPS", {"limitType": "cps", "retryAfter": 3})

    from_body = error_from_response(429, body, {})
    default = error_from_response(429, {"error": "rate_limited"}, {})

    assert isinstance(from_body, RateLimited)
    assert isinstance(default, RateLimited)
    assert from_body.retry_after == 3
    assert default.retry_after == DEFAULT_RETRY_AFTER == 60


def test_redact_scrubs_secrets_from_message_and_details():
    secret = secrets.token_urlsafe(16)
    details = {"errors": [{"field": "password", "message": "bad", "value": secret}]}
    body = envelope("VALIDATION_ERROR", f"password {secret} too weak", details)

    err = error_from_response(
        422, body, {}, redact=lambda text: text.replace(secret, "REDACTED")
    )

    assert secret not in str(err)
    assert secret not in repr(err.details)
    assert secret not in repr(err.args)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
bodies = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"error": json_values},
        optional={"message": json_values, "code": json_values, "api_id": json_values},
    ),
    st.fixed_dictionaries(
        {"status": st.just("error"), "error": st.dictionaries(st.text(), json_values)},
        optional={"requestId": json_values},
    ),
)


@given(status=st.integers(min_value=300, max_value=599), body=bodies)
def test_any_body_yields_a_vobiz_error_typed_by_status(status, body):
    err = error_from_response(status, body, {}, now=NOW)

    assert isinstance(err, VobizError)
    assert err.status == status
    assert isinstance(str(err), str)
    if status >= 500 and not isinstance(err, InsufficientBalance):
        assert isinstance(err, ServerError)
        assert err.transient
    if 400 <= status < 500 and status != 429:
        assert not err.transient
