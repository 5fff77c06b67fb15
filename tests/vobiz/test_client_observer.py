"""Every attempt is observed and logged once, and no secret ever leaks."""

from __future__ import annotations

import dataclasses
import logging
import secrets

import pytest
import requests
import responses

from vobiz import ApiAttempt, VobizClient, redact_url
from vobiz.errors import ServerError, TransportError, ValidationFailed, VobizError

BASE = "https://api.vobiz.test/api/v1"
AUTH_ID = "MA_TEST0001"
TRUNK = f"{BASE}/Account/{AUTH_ID}/trunks/t-1"


class Clock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def api():
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def observed():
    return []


@pytest.fixture
def make_client(clock, observed):
    def make(token=None, **overrides):
        options = {
            "sleep": clock.advance,
            "clock": clock,
            "jitter": lambda: 0.0,
            "observer": observed.append,
        }
        options.update(overrides)
        return VobizClient(BASE, AUTH_ID, token or secrets.token_urlsafe(), **options)

    return make


def slow(clock, seconds, status, body="{}", headers=None):
    def callback(request):
        clock.advance(seconds)
        return status, headers or {}, body

    return callback


def test_the_observer_sees_every_attempt_with_its_outcome(
    api, make_client, clock, observed
):
    api.add_callback(
        responses.GET, TRUNK, slow(clock, 0.25, 503, headers={"X-Request-ID": "r-1"})
    )
    api.get(TRUNK, body=requests.ConnectionError("reset"))
    api.add_callback(responses.GET, TRUNK, slow(clock, 0.5, 200, '{"api_id": "r-3"}'))

    make_client().get_trunk("t-1")

    assert [a.attempt for a in observed] == [1, 2, 3]
    assert [a.outcome for a in observed] == ["retry", "retry", "ok"]
    assert [a.status for a in observed] == [503, None, 200]
    assert [a.request_id for a in observed] == ["r-1", None, "r-3"]
    assert observed[0].duration_ms == 250
    assert observed[2].duration_ms == 500
    assert {a.method for a in observed} == {"GET"}
    assert {a.path_template for a in observed} == {
        "/Account/{auth_id}/trunks/{trunk_id}"
    }
    assert {a.url for a in observed} == {TRUNK}
    assert observed[0].error_code == "server_error"


def test_a_final_failure_is_observed_as_an_error(api, make_client, observed):
    api.get(TRUNK, status=404, json={"error": "not_found", "message": "no such trunk"})

    with pytest.raises(VobizError):
        make_client().get_trunk("t-1")

    assert [(a.outcome, a.status, a.error_code) for a in observed] == [
        ("error", 404, "not_found")
    ]


def test_attempts_are_frozen(api, make_client, observed):
    api.get(TRUNK, json={})
    make_client().get_trunk("t-1")

    with pytest.raises(dataclasses.FrozenInstanceError):
        observed[0].status = 500


def test_a_sub_account_client_reports_its_auth_id(api, make_client, observed):
    sub = make_client().for_sub_account("SA_TEAM0001", secrets.token_urlsafe())
    api.get(f"{BASE}/Account/SA_TEAM0001/trunks/t-1", json={})

    sub.get_trunk("t-1")

    assert observed[0].sub_account == "SA_TEAM0001"


def test_the_master_account_reports_no_sub_account(api, make_client, observed):
    api.get(TRUNK, json={})

    make_client().get_trunk("t-1")

    assert observed[0].sub_account is None


def test_a_failing_observer_does_not_fail_the_call(api, make_client, caplog):
    def broken(attempt):
        raise RuntimeError("database is down")

    api.get(TRUNK, json={"trunk_id": "t-1"})

    assert make_client(observer=broken).get_trunk("t-1") == {"trunk_id": "t-1"}
    assert "observer failed" in caplog.text


def test_each_attempt_logs_one_structured_line(api, make_client, caplog):
    caplog.set_level(logging.INFO, logger="vobiz.client")
    api.get(TRUNK, status=500)
    api.get(TRUNK, json={})

    make_client().get_trunk("t-1")

    records = [r for r in caplog.records if r.name == "vobiz.client"]
    assert [r.vobiz["outcome"] for r in records] == ["retry", "ok"]
    assert [r.levelno for r in records] == [logging.WARNING, logging.INFO]
    assert "outcome=retry" in records[0].getMessage()
    assert records[1].vobiz["path_template"] == "/Account/{auth_id}/trunks/{trunk_id}"


def test_sensitive_query_values_are_redacted_in_the_observed_url(
    api, make_client, observed
):
    secret = secrets.token_urlsafe()
    api.get(f"{BASE}/Account/{AUTH_ID}/cdr", json={"data": []})

    list(
        make_client().iter_cdrs(
            "2026-03-01", "2026-03-31", api_key=secret, to_number="+1"
        )
    )

    assert secret not in observed[0].url
    assert "api_key=REDACTED" in observed[0].url
    assert "to_number=%2B1" in observed[0].url


def test_redact_url_drops_user_info_and_hides_sensitive_parameters():
    url = "https://u:pw@api.vobiz.test:8443/p?auth_token=abc&page=2&signature=s"

    assert redact_url(url) == (
        "https://api.vobiz.test:8443/p?auth_token=REDACTED&page=2&signature=REDACTED"
    )


def test_no_secret_reaches_the_observer_the_log_or_an_error(api, clock, caplog):
    caplog.set_level(logging.DEBUG)
    names = (
        "auth_token",
        "login_password",
        "access",
        "refresh",
        "new_access",
        "new_refresh",
        "sip_password",
        "sa_token",
        "rotated",
    )
    secret = {name: secrets.token_urlsafe(24) for name in names}
    observed: list[ApiAttempt] = []
    client = VobizClient(
        BASE,
        AUTH_ID,
        secret["auth_token"],
        login_email="ops@example.com",
        login_password=secret["login_password"],
        observer=observed.append,
        sleep=clock.advance,
        clock=clock,
        max_retries=1,
    )
    errors: list[Exception] = []

    def tokens(access, refresh):
        return {"access_token": access, "refresh_token": refresh, "expires_in": 1800}

    api.post(f"{BASE}/auth/login", json=tokens(secret["access"], secret["refresh"]))
    api.get(f"{BASE}/auth/me", status=401, json={"error": {"code": "TOKEN_EXPIRED"}})
    api.post(
        f"{BASE}/auth/refresh", json=tokens(secret["new_access"], secret["new_refresh"])
    )
    api.get(f"{BASE}/auth/me", json={"auth_id": AUTH_ID})
    echo = f"password {secret['sip_password']} is too weak"
    validation = {"field": "password", "message": echo, "value": secret["sip_password"]}
    api.post(
        f"{BASE}/Account/{AUTH_ID}/credentials",
        status=422,
        json={
            "error": {
                "code": "VALIDATION_ERROR",
                "message": echo,
                "details": {"errors": [validation]},
            }
        },
    )
    api.get(
        TRUNK,
        status=500,
        json={"error": "boom", "message": f"bad token {secret['auth_token']}"},
    )
    api.get(
        f"{BASE}/Account/SA_TEAM0001/numbers",
        body=requests.ConnectionError(f"x {secret['sa_token']}"),
    )
    api.post(f"{BASE}/auth-token/rotate", json={"auth_token": secret["rotated"]})

    client.login()
    client.get_account()
    with pytest.raises(ValidationFailed) as validation_error:
        client.create_credential("sipuser01", secret["sip_password"])
    errors.append(validation_error.value)
    with pytest.raises(ServerError) as server_error:
        client.get_trunk("t-1")
    errors.append(server_error.value)
    with pytest.raises(TransportError) as transport_error:
        list(client.for_sub_account("SA_TEAM0001", secret["sa_token"]).list_numbers())
    errors.append(transport_error.value)
    assert client.rotate_auth_token() == secret["rotated"]

    # The secrets did travel (so the test is not vacuous), except the two only received.
    sent = " ".join(
        str(call.request.headers) + str(call.request.body) for call in api.calls
    )
    received_only = {"new_refresh", "rotated"}
    assert all(secret[name] in sent for name in names if name not in received_only)
    seen = [repr(dataclasses.asdict(a)) for a in observed]
    seen += [caplog.text, repr(client), repr(client._tokens)]
    seen += [f"{e!s} {e!r} {getattr(e, 'details', '')}" for e in errors]
    leaks = {
        name for name, value in secret.items() if any(value in text for text in seen)
    }
    assert leaks == set()
    assert len(observed) == len(api.calls)
