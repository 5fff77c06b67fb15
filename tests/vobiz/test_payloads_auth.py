"""The console password change answer: a fresh token pair, never shown."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from tests.vobiz.bodies import (
    ACCESS_JWT,
    PASSWORD_CHANGED,
    REFRESH_JWT,
    as_client_sees,
)
from vobiz.payloads import ConsoleTokens, PasswordChanged


def test_password_changed_from_the_change_answer():
    assert PasswordChanged.from_api(as_client_sees(PASSWORD_CHANGED)) == (
        PasswordChanged(
            message="Password changed successfully",
            tokens=ConsoleTokens(
                access_token=ACCESS_JWT, refresh_token=REFRESH_JWT, expires_in=1800.0
            ),
        )
    )


def test_tokens_never_show_in_a_repr():
    changed = PasswordChanged.from_api(PASSWORD_CHANGED)

    assert ACCESS_JWT not in repr(changed) and REFRESH_JWT not in repr(changed)
    assert "expires_in=1800.0" in repr(changed.tokens)


def test_tokens_are_kept_exactly_as_sent():
    odd = " a\x00b " + "c" * 5000
    tokens = ConsoleTokens.from_api({"access_token": odd, "refresh_token": ""})

    assert (tokens.access_token, tokens.refresh_token) == (odd, "")


@pytest.mark.parametrize("junk", [None, 42, ["eyJ"], {"jwt": "eyJ"}, True])
def test_a_token_that_is_not_text_is_none(junk):
    tokens = ConsoleTokens.from_api({"access_token": junk, "refresh_token": junk})

    assert (tokens.access_token, tokens.refresh_token) == (None, None)


@pytest.mark.parametrize("junk", [None, {}, [], "tokens", ["a", "b"], 7])
def test_an_answer_without_a_token_object_has_no_tokens(junk):
    changed = PasswordChanged.from_api({"message": "ok", "tokens": junk})

    assert changed.tokens == ConsoleTokens()
    assert (changed.tokens.access_token, changed.tokens.refresh_token) == (None, None)
    assert PasswordChanged.from_api({}).tokens == ConsoleTokens()


@pytest.mark.parametrize(
    ("sent", "read"),
    [
        (900, 900.0),
        (Decimal("899.5"), 899.5),
        ("600", 600.0),
        (-5, -5.0),
        (None, 1800.0),
        (0, 1800.0),
        ("", 1800.0),
    ],
)
def test_expires_in_is_seconds_and_1800_when_not_said(sent, read):
    assert ConsoleTokens.from_api({"expires_in": sent}).expires_in == read


@pytest.mark.parametrize(
    "junk", ["soon", "NaN", "inf", Decimal("Infinity"), 1e12, -1e12, [30], {"s": 1}]
)
def test_junk_lifetimes_are_1800(junk):
    assert ConsoleTokens.from_api({"expires_in": junk}).expires_in == 1800.0


def test_no_tokens_is_the_default():
    assert ConsoleTokens() == ConsoleTokens(None, None, 1800.0)


@pytest.mark.parametrize("cls", [ConsoleTokens, PasswordChanged])
def test_auth_payloads_are_frozen(cls):
    payload = cls.from_api(PASSWORD_CHANGED)

    with pytest.raises(dataclasses.FrozenInstanceError):
        payload.__setattr__(dataclasses.fields(payload)[0].name, "x")
    assert not hasattr(payload, "__dict__")
