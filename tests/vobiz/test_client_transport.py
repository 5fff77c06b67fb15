"""HTTPS, pooling, timeouts, retries, 429 and the breaker, seen from the wire."""

from __future__ import annotations

import secrets

import pytest
import requests
import responses
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError, NewConnectionError

from vobiz import VobizClient
from vobiz.errors import (
    AuthError,
    CircuitOpen,
    Conflict,
    NotFound,
    RateLimited,
    ServerError,
    TransportError,
    UnexpectedResponse,
    ValidationFailed,
)

BASE = "https://api.vobiz.test/api/v1"
AUTH_ID = "MA_TEST0001"
JITTER = 0.125
ME = f"{BASE}/auth/me"
TRUNKS = f"{BASE}/Account/{AUTH_ID}/trunks"
CALLS = f"{BASE}/Account/{AUTH_ID}/Call/"


class Clock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


class Sleeper:
    """Record sleeps and let the fake clock run through them."""

    def __init__(self, clock):
        self.clock = clock
        self.calls = []

    def __call__(self, seconds):
        self.calls.append(seconds)
        self.clock.advance(seconds)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def sleeper(clock):
    return Sleeper(clock)


@pytest.fixture
def api():
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def observed():
    return []


@pytest.fixture
def make_client(clock, sleeper, observed):
    def make(**overrides):
        options = {
            "sleep": sleeper,
            "clock": clock,
            "jitter": lambda: JITTER,
            "observer": observed.append,
        }
        options.update(overrides)
        return VobizClient(BASE, AUTH_ID, secrets.token_urlsafe(24), **options)

    return make


def refused():
    """A connection error raised before any byte of the request was sent."""
    return requests.ConnectionError(
        MaxRetryError(None, "/", NewConnectionError(None, "Connection refused"))
    )


@pytest.mark.parametrize(
    "base_url",
    ["http://api.vobiz.test/api/v1", "ftp://api.vobiz.test", "api.vobiz.test/api/v1"],
)
def test_a_base_url_that_is_not_https_is_refused(base_url):
    with pytest.raises(ValueError, match="https"):
        VobizClient(base_url, AUTH_ID, secrets.token_urlsafe())


def test_a_base_url_with_credentials_is_refused():
    password = secrets.token_urlsafe()

    with pytest.raises(ValueError, match="credentials") as info:
        VobizClient(f"https://user:{password}@api.vobiz.test", AUTH_ID, "t0ken")
    assert password not in str(info.value)


def test_ca_bundle_is_passed_as_verify(api, make_client, tmp_path):
    bundle = str(tmp_path / "simulator-ca.pem")
    api.get(ME, json={})

    make_client(ca_bundle=bundle).get_account()

    assert api.calls[0].request.req_kwargs["verify"] == bundle


def test_without_a_ca_bundle_certificates_are_still_verified(api, make_client):
    api.get(ME, json={})

    make_client().get_account()

    # requests may swap True for the REQUESTS_CA_BUNDLE path; never for False.
    assert api.calls[0].request.req_kwargs["verify"] not in (False, None, "")


def test_every_attempt_carries_a_connect_and_read_timeout(api, make_client):
    api.get(TRUNKS, status=503)
    api.get(TRUNKS, json={"meta": {"total": 0}, "objects": []})

    list(make_client(timeout=(2.5, 12)).list_trunks())

    assert [call.request.req_kwargs["timeout"] for call in api.calls] == [(2.5, 12)] * 2


def test_default_timeout_is_connect_3_05_read_30(api, make_client):
    api.get(ME, json={})

    make_client().get_account()

    assert api.calls[0].request.req_kwargs["timeout"] == (3.05, 30)


def test_one_pooled_session_serves_every_call(api, make_client, monkeypatch):
    sessions = []

    class CountingSession(requests.Session):
        def __init__(self):
            super().__init__()
            self.sent = 0
            sessions.append(self)

        def request(self, *args, **kwargs):
            self.sent += 1
            return super().request(*args, **kwargs)

    monkeypatch.setattr(requests, "Session", CountingSession)
    api.get(ME, json={})
    api.get(f"{BASE}/account/{AUTH_ID}/balance/INR", json={})
    client = make_client(pool_size=7)
    sub = client.for_sub_account("SA_TEAM0001", secrets.token_urlsafe())
    api.get(f"{BASE}/Account/SA_TEAM0001/numbers", json={"items": []})

    client.get_account()
    client.get_balance("INR")
    list(sub.list_numbers())

    assert len(sessions) == 1
    assert sessions[0].sent == 3
    adapter = sessions[0].adapters["https://"]
    assert isinstance(adapter, HTTPAdapter)
    assert (adapter._pool_connections, adapter._pool_maxsize) == (7, 7)


def test_5xx_is_retried_after_1_2_4_seconds_plus_jitter(api, make_client, sleeper):
    for status in (500, 502, 503):
        api.get(ME, status=status)
    api.get(ME, json={"auth_id": AUTH_ID})

    account = make_client().get_account()

    assert account["auth_id"] == AUTH_ID
    assert sleeper.calls == [1 + JITTER, 2 + JITTER, 4 + JITTER]
    assert len(api.calls) == 4


def test_it_gives_up_after_three_retries(api, make_client, sleeper):
    api.get(ME, status=503)

    with pytest.raises(ServerError) as info:
        make_client().get_account()

    assert info.value.transient
    assert len(api.calls) == 4
    assert len(sleeper.calls) == 3


def test_default_jitter_is_small_and_random(api, make_client, sleeper):
    api.get(ME, status=500)
    api.get(ME, json={})

    make_client(jitter=VobizClient.__init__.__kwdefaults__["jitter"]).get_account()

    assert 1 <= sleeper.calls[0] <= 1.25


@pytest.mark.parametrize(
    "failure",
    [
        refused(),
        requests.ConnectionError("reset by peer"),
        requests.ReadTimeout("slow"),
    ],
)
def test_network_errors_are_retried(api, make_client, sleeper, failure):
    api.get(ME, body=failure)
    api.get(ME, json={"auth_id": AUTH_ID})

    assert make_client().get_account()["auth_id"] == AUTH_ID
    assert sleeper.calls == [1 + JITTER]


def test_network_error_that_persists_becomes_a_transient_transport_error(
    api, make_client
):
    api.get(ME, body=requests.ConnectTimeout("no route"))

    with pytest.raises(TransportError) as info:
        make_client().get_account()

    assert info.value.transient
    assert info.value.status is None
    assert len(api.calls) == 4


def test_a_certificate_failure_is_not_retried(api, make_client):
    api.get(ME, body=requests.exceptions.SSLError("certificate verify failed"))

    with pytest.raises(TransportError) as info:
        make_client().get_account()

    assert not info.value.transient
    assert len(api.calls) == 1


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, ValidationFailed),
        (401, AuthError),
        (403, AuthError),
        (404, NotFound),
        (409, Conflict),
        (422, ValidationFailed),
    ],
)
def test_4xx_is_never_retried(api, make_client, sleeper, status, error):
    api.get(ME, status=status, json={"error": "nope", "message": "no"})

    with pytest.raises(error):
        make_client().get_account()

    assert len(api.calls) == 1
    assert sleeper.calls == []


def test_redirects_are_not_followed(api, make_client):
    # Following one would resend X-Auth-Token to whatever host it names.
    api.get(ME, status=302, headers={"Location": "https://elsewhere.test/steal"})

    with pytest.raises(UnexpectedResponse):
        make_client().get_account()

    assert len(api.calls) == 1


@pytest.mark.parametrize(
    ("headers", "details", "expected"),
    [
        ({"Retry-After": "17"}, {"retryAfter": 5}, 17),
        ({}, {"retryAfter": 5}, 5),
        ({}, {}, 60),
    ],
)
def test_429_raises_rate_limited_and_never_sleeps(
    api, make_client, sleeper, observed, headers, details, expected
):
    body = {
        "status": "error",
        "error": {"code": "RATE_LIMIT_EXCEEDED", "details": details},
    }
    api.get(ME, status=429, headers=headers, json=body)

    with pytest.raises(RateLimited) as info:
        make_client().get_account()

    assert info.value.retry_after == expected
    assert len(api.calls) == 1
    assert sleeper.calls == []
    assert observed[-1].outcome == "rate_limited"


def test_a_create_is_not_resent_after_a_5xx(api, make_client):
    api.post(TRUNKS, status=502)

    with pytest.raises(ServerError):
        make_client().create_trunk("Main", "outbound", 10)

    assert len(api.calls) == 1


@pytest.mark.parametrize(
    "unsent", [refused(), requests.ConnectTimeout("connect timed out")]
)
def test_a_create_is_resent_when_the_request_never_left(
    api, make_client, sleeper, unsent
):
    api.post(TRUNKS, body=unsent)
    api.post(TRUNKS, status=201, json={"trunk_id": "t-1"})

    trunk = make_client().create_trunk("Main", "outbound", 10)

    assert trunk["trunk_id"] == "t-1"
    assert len(api.calls) == 2
    assert sleeper.calls == [1 + JITTER]


@pytest.mark.parametrize(
    "failure", [requests.ReadTimeout("lost"), requests.ConnectionError("reset")]
)
def test_a_call_is_never_placed_twice_after_an_unknown_outcome(
    api, make_client, failure
):
    api.post(CALLS, body=failure)

    with pytest.raises(TransportError):
        make_client().make_call("+14155550100", "+14155550101", "https://x.test/a")

    assert len(api.calls) == 1


def test_an_open_breaker_fails_fast_and_sends_nothing(api, make_client, observed):
    client = make_client(max_retries=0)
    api.get(ME, status=503)
    for _ in range(5):
        with pytest.raises(ServerError):
            client.get_account()

    with pytest.raises(CircuitOpen) as info:
        client.get_account()

    assert len(api.calls) == 5
    assert info.value.retry_after == 30
    assert (observed[-1].outcome, observed[-1].status) == ("circuit_open", None)


def test_retries_count_towards_the_breaker_and_stop_once_it_opens(
    api, make_client, sleeper
):
    client = make_client()
    api.get(ME, status=500)

    with pytest.raises(ServerError):
        client.get_account()  # four attempts, four failures
    with pytest.raises(ServerError):
        client.get_account()  # the fifth failure opens it: no retry, no sleep

    assert len(api.calls) == 5
    assert len(sleeper.calls) == 3
    assert client.breaker.state()["state"] == "open"


def test_4xx_and_429_do_not_open_the_breaker(api, make_client):
    client = make_client(max_retries=0)
    api.get(ME, status=404, json={"error": "not_found"})
    api.get(ME, status=429)
    api.get(ME, status=404, json={"error": "not_found"})

    for error in [NotFound, RateLimited] + [NotFound] * 8:
        with pytest.raises(error):
            client.get_account()

    assert len(api.calls) == 10


def test_after_thirty_seconds_one_trial_call_closes_the_breaker(
    api, make_client, clock
):
    client = make_client(max_retries=0)
    api.get(ME, status=503)
    for _ in range(5):
        with pytest.raises(ServerError):
            client.get_account()
    api.replace(responses.GET, ME, json={"auth_id": AUTH_ID})

    clock.advance(30)

    assert client.get_account()["auth_id"] == AUTH_ID
    assert client.breaker.state()["state"] == "closed"
