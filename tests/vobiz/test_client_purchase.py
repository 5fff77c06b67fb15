"""A number purchase is never blindly retried: it checks whether it landed."""

from __future__ import annotations

import secrets
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from vobiz import VobizClient
from vobiz.errors import InsufficientBalance, NotFound, ServerError, TransportError

BASE = "https://api.vobiz.test/api/v1"
MA = "MA_TEST0001"
E164 = "+919876543210"
PURCHASE = f"{BASE}/Account/{MA}/numbers/purchase-from-inventory"
NUMBERS = f"{BASE}/Account/{MA}/numbers"
BOUGHT = {"e164": E164, "account_id": MA, "status": "active", "source": "inventory"}
NOT_OWNED = {"items": [], "page": 1, "per_page": 100, "total": 0}
OWNED = {"items": [BOUGHT], "page": 1, "per_page": 100, "total": 1}


class Sleeper:
    def __init__(self):
        self.calls = []

    def __call__(self, seconds):
        self.calls.append(seconds)


@pytest.fixture
def api():
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def sleeper():
    return Sleeper()


@pytest.fixture
def observed():
    return []


@pytest.fixture
def client(sleeper, observed):
    return VobizClient(
        BASE,
        MA,
        secrets.token_urlsafe(),
        sleep=sleeper,
        jitter=lambda: 0.125,
        observer=observed.append,
    )


@pytest.fixture
def key():
    return secrets.token_hex(16)


def posts(api):
    return [call for call in api.calls if call.request.method == "POST"]


def lookups(api):
    return [call for call in api.calls if call.request.method == "GET"]


def test_a_purchase_returns_the_number(api, client, key):
    api.post(
        PURCHASE, json={"message": "Number purchased successfully", "number": BOUGHT}
    )

    assert client.purchase_number(E164, key) == BOUGHT
    assert lookups(api) == []


@pytest.mark.parametrize(
    "failure",
    [{"status": 500}, {"status": 503}, {"body": requests.ReadTimeout("lost")}],
    ids=["500", "503", "timeout"],
)
def test_after_an_unknown_outcome_a_landed_purchase_is_not_bought_again(
    api, client, key, failure
):
    api.post(PURCHASE, **failure)
    api.get(NUMBERS, json=OWNED)

    assert client.purchase_number(E164, key) == BOUGHT

    assert len(posts(api)) == 1
    query = parse_qs(urlsplit(lookups(api)[0].request.url).query)
    assert query["search"] == [E164]


def test_after_an_unknown_outcome_a_missing_number_is_bought_again(
    api, client, key, sleeper, observed
):
    api.post(PURCHASE, status=502)
    api.get(NUMBERS, json=NOT_OWNED)
    api.post(PURCHASE, json={"number": BOUGHT})

    assert client.purchase_number(E164, key) == BOUGHT

    assert len(posts(api)) == 2
    assert sleeper.calls == [1.125]
    assert [a.attempt for a in observed if a.method == "POST"] == [1, 2]


def test_every_attempt_carries_the_same_idempotency_key(api, client, key):
    api.post(PURCHASE, body=requests.ConnectionError("reset"))
    api.get(NUMBERS, json=NOT_OWNED)
    api.post(PURCHASE, status=500)
    api.get(NUMBERS, json=NOT_OWNED)
    api.post(PURCHASE, json={"number": BOUGHT})

    client.purchase_number(E164, key)

    assert [call.request.headers["Idempotency-Key"] for call in posts(api)] == [key] * 3
    assert all("Idempotency-Key" not in call.request.headers for call in lookups(api))


def test_it_gives_up_after_three_rebuys(api, client, key, sleeper):
    api.post(PURCHASE, status=500)
    api.get(NUMBERS, json=NOT_OWNED)

    with pytest.raises(ServerError):
        client.purchase_number(E164, key)

    assert len(posts(api)) == 4
    assert len(lookups(api)) == 4
    assert sleeper.calls == [1.125, 2.125, 4.125]


def test_a_number_owned_by_another_sub_account_does_not_count_as_landed(
    api, client, key
):
    other = {**BOUGHT, "account_id": "SA_OTHER001"}
    api.post(PURCHASE, status=500)
    api.get(NUMBERS, json={"items": [other], "total": 1})
    api.post(PURCHASE, json={"number": BOUGHT})

    assert client.purchase_number(E164, key) == BOUGHT
    assert len(posts(api)) == 2


def test_a_rerun_after_an_earlier_success_returns_the_owned_number(api, client, key):
    api.post(
        PURCHASE, status=404, json={"error": "not_found", "message": "not in inventory"}
    )
    api.get(NUMBERS, json=OWNED)

    assert client.purchase_number(E164, key) == BOUGHT
    assert len(posts(api)) == 1


def test_a_number_not_in_inventory_and_not_owned_is_not_found(api, client, key):
    api.post(
        PURCHASE, status=404, json={"error": "not_found", "message": "not in inventory"}
    )
    api.get(NUMBERS, json=NOT_OWNED)

    with pytest.raises(NotFound):
        client.purchase_number(E164, key)


def test_insufficient_balance_is_raised_without_retry_or_lookup(api, client, key):
    body = {
        "status": "error",
        "error": {"code": "INSUFFICIENT_BALANCE", "message": "low"},
    }
    api.post(PURCHASE, status=402, json=body)

    with pytest.raises(InsufficientBalance):
        client.purchase_number(E164, key)

    assert len(api.calls) == 1


def test_a_certificate_failure_is_raised_without_lookup(api, client, key):
    api.post(PURCHASE, body=requests.exceptions.SSLError("bad certificate"))

    with pytest.raises(TransportError):
        client.purchase_number(E164, key)

    assert len(api.calls) == 1
