"""Page-level patience: a page that fails transiently is waited for, not lost."""

from __future__ import annotations

import secrets
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from vobiz import CircuitBreaker, MemoryStore, VobizClient
from vobiz.errors import NotFound, RateLimited, ServerError

BASE = "https://api.vobiz.test/api/v1"
AUTH_ID = "MA_TEST0001"
CDRS = f"{BASE}/Account/{AUTH_ID}/cdr"
JITTER = 0.125


class Clock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self):
        return self.now


class Sleeper:
    """Record sleeps and let the fake clock run through them."""

    def __init__(self, clock):
        self.clock = clock
        self.calls = []

    def __call__(self, seconds):
        self.calls.append(seconds)
        self.clock.now += seconds


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
def make_client(clock, sleeper):
    def make(**overrides):
        # No transport retries unless asked, so each 5xx is one page failure.
        options = {
            "sleep": sleeper,
            "clock": clock,
            "jitter": lambda: JITTER,
            "max_retries": 0,
        }
        options.update(overrides)
        return VobizClient(BASE, AUTH_ID, secrets.token_urlsafe(24), **options)

    return make


def page(uuids, has_next):
    return {"data": [{"uuid": u} for u in uuids], "pagination": {"has_next": has_next}}


def unavailable(api, times=1):
    for _ in range(times):
        api.get(CDRS, status=503, json={"error": "service_unavailable"})


def pages_asked(api):
    return [
        int(parse_qs(urlsplit(call.request.url).query)["page"][0]) for call in api.calls
    ]


def cdr_uuids(client):
    return [cdr["uuid"] for cdr in client.iter_cdrs("2026-03-01", "2026-03-31")]


def test_a_page_that_fails_twice_is_asked_for_again_and_yielded_once(
    api, make_client, sleeper
):
    client = make_client(patience_seconds=60)
    api.get(CDRS, json=page(["a", "b"], has_next=True))
    unavailable(api, times=2)
    api.get(CDRS, json=page(["c"], has_next=False))

    assert cdr_uuids(client) == ["a", "b", "c"]
    assert pages_asked(api) == [1, 2, 2, 2]
    assert sleeper.calls == [1 + JITTER, 2 + JITTER]


def test_page_waits_continue_the_transport_backoff(api, make_client, sleeper):
    client = make_client(patience_seconds=60, max_retries=2)
    unavailable(api, times=3)
    api.get(CDRS, json=page(["a"], has_next=False))

    assert cdr_uuids(client) == ["a"]
    # 1 s and 2 s inside the transport, then 4 s at the page level.
    assert sleeper.calls == [1 + JITTER, 2 + JITTER, 4 + JITTER]


def test_exhausted_patience_raises_the_last_error(api, make_client, sleeper):
    client = make_client(patience_seconds=2.5)
    api.get(CDRS, json=page(["a"], has_next=True))
    # The last registered response repeats: page 2 fails for ever.
    unavailable(api, times=2)
    cdrs = client.iter_cdrs("2026-03-01", "2026-03-31")

    assert next(cdrs)["uuid"] == "a"
    with pytest.raises(ServerError):
        next(cdrs)
    # The second wait (2.125 s) would overrun 2.5 s, so it is never started.
    assert sleeper.calls == [1 + JITTER]
    assert pages_asked(api) == [1, 2, 2]


def test_a_rate_limited_page_waits_retry_after(api, make_client, sleeper):
    client = make_client(patience_seconds=10)
    api.get(CDRS, status=429, headers={"Retry-After": "7"}, json={})
    api.get(CDRS, json=page(["a"], has_next=False))

    assert cdr_uuids(client) == ["a"]
    assert sleeper.calls == [7.0]


def test_a_retry_after_beyond_the_patience_raises_without_waiting(
    api, make_client, sleeper
):
    client = make_client(patience_seconds=5)
    api.get(CDRS, status=429, headers={"Retry-After": "60"}, json={})

    with pytest.raises(RateLimited) as caught:
        cdr_uuids(client)
    assert caught.value.retry_after == 60
    assert sleeper.calls == []


def test_an_open_breaker_is_waited_out_then_the_page_is_asked_again(
    api, make_client, sleeper, clock
):
    breaker = CircuitBreaker(
        MemoryStore(clock), clock=clock, failure_threshold=2, open_seconds=30
    )
    client = make_client(patience_seconds=120, breaker=breaker)
    unavailable(api, times=2)
    api.get(CDRS, json=page(["a"], has_next=False))

    assert cdr_uuids(client) == ["a"]
    # The second 503 opens the breaker; after the 2 s backoff it refuses the
    # next fetch (nothing sent) with the rest of its 30 s as retry_after.
    assert sleeper.calls == [1 + JITTER, 2 + JITTER, pytest.approx(30 - 2 - JITTER)]
    assert len(api.calls) == 3


def test_patience_is_per_page(api, make_client, sleeper):
    client = make_client(patience_seconds=1.5)
    unavailable(api)
    api.get(CDRS, json=page(["a"], has_next=True))
    unavailable(api)
    api.get(CDRS, json=page(["b"], has_next=False))

    assert cdr_uuids(client) == ["a", "b"]
    assert sleeper.calls == [1 + JITTER, 1 + JITTER]


def test_without_patience_a_failed_page_raises_at_once(api, make_client, sleeper):
    client = make_client()
    api.get(CDRS, json=page(["a"], has_next=True))
    unavailable(api)
    cdrs = client.iter_cdrs("2026-03-01", "2026-03-31")

    assert next(cdrs)["uuid"] == "a"
    with pytest.raises(ServerError):
        next(cdrs)
    assert sleeper.calls == []
    assert len(api.calls) == 2


def test_without_patience_a_rate_limited_page_raises_at_once(api, make_client, sleeper):
    client = make_client(max_retries=3)
    api.get(CDRS, status=429, headers={"Retry-After": "1"}, json={})

    with pytest.raises(RateLimited):
        cdr_uuids(client)
    assert sleeper.calls == []


def test_an_error_a_wait_cannot_cure_is_raised_at_once(api, make_client, sleeper):
    client = make_client(patience_seconds=60)
    api.get(CDRS, status=404, json={"error": "not_found", "message": "no account"})

    with pytest.raises(NotFound):
        cdr_uuids(client)
    assert sleeper.calls == []


def test_every_paginated_list_is_patient(api, make_client, sleeper):
    client = make_client(patience_seconds=10)
    trunks = f"{BASE}/Account/{AUTH_ID}/trunks"
    api.get(trunks, status=502, json={})
    api.get(trunks, json={"meta": {"total": 1}, "objects": [{"trunk_id": "t"}]})

    assert [t["trunk_id"] for t in client.list_trunks()] == ["t"]
    assert sleeper.calls == [1 + JITTER]


def test_a_sub_account_client_inherits_the_patience(api, make_client, sleeper):
    sub = make_client(patience_seconds=10).for_sub_account(
        "SA_TEST0001", secrets.token_urlsafe(24)
    )
    url = f"{BASE}/Account/SA_TEST0001/cdr"
    api.get(url, status=503, json={})
    api.get(url, json=page(["a"], has_next=False))

    assert [c["uuid"] for c in sub.iter_cdrs("2026-03-01", "2026-03-31")] == ["a"]
    assert sleeper.calls == [1 + JITTER]


def test_negative_patience_is_refused():
    with pytest.raises(ValueError, match="patience"):
        VobizClient(BASE, AUTH_ID, secrets.token_urlsafe(24), patience_seconds=-1)
