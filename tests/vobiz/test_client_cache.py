"""Account 15 min, trunk list 5 min (dropped on writes), balance 1 min, CDRs never."""

from __future__ import annotations

import secrets

import pytest
import responses

from vobiz import MemoryStore, VobizClient
from vobiz.errors import ServerError

BASE = "https://api.vobiz.test/api/v1"
MA = "MA_TEST0001"
ME = f"{BASE}/auth/me"
TRUNKS = f"{BASE}/Account/{MA}/trunks"
BALANCE = f"{BASE}/account/{MA}/balance/INR"
CDRS = f"{BASE}/Account/{MA}/cdr"


class Clock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


class RecordingCache(MemoryStore):
    """A real expiring cache that also remembers each TTL it was given."""

    def __init__(self, clock):
        super().__init__(clock)
        self.ttls = {}

    def set(self, key, value, ttl_seconds=None, /):
        self.ttls[key] = ttl_seconds
        super().set(key, value, ttl_seconds)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def cache(clock):
    return RecordingCache(clock)


@pytest.fixture
def api():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def client(cache, clock):
    return VobizClient(
        BASE,
        MA,
        secrets.token_urlsafe(),
        cache=cache,
        clock=clock,
        sleep=clock.advance,
        jitter=lambda: 0.0,
    )


def requests_to(api, url):
    """Count the reads of ``url`` (writes to the same URL are not fetches)."""
    return sum(
        1
        for call in api.calls
        if call.request.method == "GET" and call.request.url.split("?")[0] == url
    )


def test_account_info_is_cached_for_fifteen_minutes(api, client, clock):
    api.get(ME, json={"auth_id": MA})

    client.get_account()
    clock.advance(15 * 60 - 1)
    assert client.get_account() == {"auth_id": MA}
    assert requests_to(api, ME) == 1

    clock.advance(1)
    client.get_account()
    assert requests_to(api, ME) == 2


def test_verifying_the_auth_token_bypasses_the_cache(api, client):
    api.get(ME, json={"auth_id": MA})

    client.get_account()
    client.get_account()  # from the cache
    client.verify_auth_token()
    client.verify_auth_token()

    assert requests_to(api, ME) == 3


def test_balance_is_cached_for_one_minute_per_currency(api, client, clock):
    api.get(BALANCE, json={"balance": 1})
    api.get(f"{BASE}/account/{MA}/balance/USD", json={"balance": 2})

    client.get_balance("INR")
    client.get_balance("USD")
    clock.advance(59)
    client.get_balance("INR")
    assert requests_to(api, BALANCE) == 1

    clock.advance(1)
    client.get_balance("INR")
    assert requests_to(api, BALANCE) == 2


def test_the_trunk_list_is_cached_for_five_minutes(api, client, clock, cache):
    api.get(TRUNKS, json={"meta": {"total": 1}, "objects": [{"trunk_id": "t1"}]})

    assert [t["trunk_id"] for t in client.list_trunks()] == ["t1"]
    clock.advance(299)
    assert [t["trunk_id"] for t in client.list_trunks()] == ["t1"]
    assert requests_to(api, TRUNKS) == 1

    clock.advance(1)
    list(client.list_trunks())
    assert requests_to(api, TRUNKS) == 2
    assert set(cache.ttls.values()) == {300}


@pytest.mark.parametrize(
    ("method", "url", "change"),
    [
        (responses.POST, TRUNKS, lambda c: c.create_trunk("New", "INBOUND", 5)),
        (
            responses.PUT,
            f"{TRUNKS}/t1",
            lambda c: c.update_trunk(
                "t1", name="X", max_concurrent_calls=5, enabled=True
            ),
        ),
        (responses.DELETE, f"{TRUNKS}/t1", lambda c: c.delete_trunk("t1")),
    ],
    ids=["create", "update", "delete"],
)
def test_a_trunk_write_drops_the_cached_list(api, client, method, url, change):
    api.get(TRUNKS, json={"meta": {"total": 0}, "objects": []})
    api.add(method, url, json={})

    list(client.list_trunks())
    change(client)
    list(client.list_trunks())

    assert requests_to(api, TRUNKS) == 2


def test_a_failed_trunk_delete_still_drops_the_list(api, client):
    # A 5xx may still have deleted it, so the cached list cannot be trusted.
    api.get(TRUNKS, json={"meta": {"total": 0}, "objects": []})
    api.delete(f"{TRUNKS}/t1", status=500)

    list(client.list_trunks())
    with pytest.raises(ServerError):
        client.delete_trunk("t1")
    list(client.list_trunks())

    assert requests_to(api, TRUNKS) == 2


def test_cdrs_are_never_cached(api, client, cache):
    api.get(CDRS, json={"data": [{"uuid": "a"}], "pagination": {"has_next": False}})

    list(client.iter_cdrs("2026-03-01", "2026-03-31"))
    list(client.iter_cdrs("2026-03-01", "2026-03-31"))

    assert requests_to(api, CDRS) == 2
    assert cache.ttls == {}


def test_cache_keys_include_the_auth_id(api, client, cache):
    sub = client.for_sub_account("SA_TEAM0001", secrets.token_urlsafe())
    api.get(ME, json={"auth_id": MA})
    api.get(ME, json={"auth_id": "SA_TEAM0001"})

    assert client.get_account()["auth_id"] == MA
    assert sub.get_account()["auth_id"] == "SA_TEAM0001"
    assert client.get_account()["auth_id"] == MA

    assert requests_to(api, ME) == 2
    assert all(MA in key or "SA_TEAM0001" in key for key in cache.ttls)
    assert cache.ttls == {
        f"vobiz:api.vobiz.test:{MA}:account": 900,
        "vobiz:api.vobiz.test:SA_TEAM0001:account": 900,
    }


def test_without_a_cache_every_call_goes_out(api, clock):
    plain = VobizClient(BASE, MA, secrets.token_urlsafe(), clock=clock)
    api.get(ME, json={})

    plain.get_account()
    plain.get_account()

    assert requests_to(api, ME) == 2
