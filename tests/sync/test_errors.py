"""Every Vobiz failure becomes the portal's one error, worded once."""

from __future__ import annotations

import pytest

from core.errors import ProviderError
from sync.errors import describe, provider_error, vobiz_errors
from vobiz.errors import (
    AuthError,
    CircuitOpen,
    Conflict,
    InsufficientBalance,
    NotFound,
    RateLimited,
    ServerError,
    TransportError,
    ValidationFailed,
)

CASES = [
    (RateLimited("slow down", retry_after=2.2), "rate_limited", "try again in 3 s"),
    (CircuitOpen("open", retry_after=30), "unavailable", "pausing calls to it"),
    (ServerError("boom", status=503), "unavailable", "did not answer properly"),
    (TransportError("reset"), "unavailable", "did not answer properly"),
    (AuthError("bad token", status=401), "auth", "did not accept the portal's"),
    (NotFound("gone", status=404), "not_found", "no longer has this object"),
    (InsufficientBalance("low", status=402), "insufficient_balance", "too low"),
    (Conflict("busy", status=409), "refused", "because of a conflict: busy"),
]


@pytest.mark.parametrize(("error", "kind", "words"), CASES)
def test_each_failure_has_its_kind_and_words(error, kind, words):
    translated = provider_error(error)
    assert isinstance(translated, ProviderError)
    assert translated.kind == kind
    assert words in translated.message == describe(error)


def test_the_request_id_is_quoted_and_kept():
    error = NotFound("gone", status=404, request_id="req-123")
    translated = provider_error(error)
    assert "(Vobiz request req-123)" in translated.message
    assert translated.request_id == "req-123"


def test_a_wait_is_carried_for_callers_that_back_off():
    assert provider_error(RateLimited("x", retry_after=7)).retry_after == 7
    assert provider_error(NotFound("x")).retry_after is None


def test_a_cool_off_says_when_the_number_can_move_again():
    error = Conflict(
        "did_cool_off_in_effect",
        status=409,
        details={"cool_off_until": "2026-12-20T10:00:00Z"},
    )
    translated = provider_error(error)
    assert translated.kind == "cool_off"
    assert "can move again on 20 Dec 2026 (15-day cool-off)" in translated.message


def test_fields_vobiz_named_are_kept_under_the_forms_names():
    error = ValidationFailed(
        "invalid",
        status=422,
        details={
            "errors": [
                {"field": "max_concurrent_calls", "message": "must be <= 100"},
                {"field": "name", "message": "taken"},
            ]
        },
    )
    translated = provider_error(
        error, field_map={"max_concurrent_calls": "concurrent_calls_limit"}
    )
    assert translated.field_errors == {
        "concurrent_calls_limit": ["Vobiz: must be <= 100"],
        "name": ["Vobiz: taken"],
    }
    assert translated.message.startswith("Vobiz refused the values")


def test_the_block_raises_the_portal_error_from_the_vobiz_one():
    original = ServerError("boom", status=500)
    with pytest.raises(ProviderError) as caught, vobiz_errors():
        raise original
    assert caught.value.__cause__ is original
