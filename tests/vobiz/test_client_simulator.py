"""The client against the real simulator over HTTPS: casing, faults, purchases."""

from __future__ import annotations

from itertools import islice

import pytest

from vobiz import MemoryStore, VobizClient
from vobiz.errors import RateLimited

pytestmark = pytest.mark.integration


class Sleeper:
    def __init__(self):
        self.calls = []

    def __call__(self, seconds):
        self.calls.append(seconds)


@pytest.fixture
def sleeper():
    return Sleeper()


@pytest.fixture
def observed():
    return []


@pytest.fixture
def client(simulator, sleeper, observed):
    creds = simulator.credentials
    return VobizClient(
        simulator.base_url,
        creds["auth_id"],
        creds["auth_token"],
        ca_bundle=simulator.ca_bundle,
        login_email=creds["email"],
        login_password=creds["password"],
        observer=observed.append,
        sleep=sleeper,
        jitter=lambda: 0.0,
    )


def test_every_resource_family_answers_with_strict_casing(simulator, client):
    simulator.control.config(strict_casing=True)

    assert client.get_account()["auth_id"] == client.auth_id
    assert "available_balance" in client.get_balance("INR")
    assert list(client.list_sub_accounts())
    assert list(client.list_trunks())
    list(client.list_credentials())
    list(client.list_ip_acl())
    assert list(islice(client.search_inventory(country="IN"), 3))
    list(client.list_numbers())
    assert list(islice(client.iter_transactions(), 3))
    cdr = next(client.iter_cdrs("2020-01-01", "2030-12-31"))
    assert client.get_cdr(cdr["uuid"])["uuid"] == cdr["uuid"]
    row = next(iter(client.export_cdrs_csv("2020-01-01", "2030-12-31")))
    assert row["uuid"]


@pytest.mark.parametrize("mode", ["error", "drop"])
def test_a_purchase_that_landed_before_failing_is_not_bought_twice(
    simulator, fresh_state, client, observed, mode
):
    e164 = next(client.search_inventory(country="IN"))["e164"]
    simulator.control.fail_after_commit(count=1, mode=mode)

    number = client.purchase_number(e164, "purchase-key-1")

    assert number["e164"] == e164
    purchases = [
        a for a in observed if a.path_template.endswith("purchase-from-inventory")
    ]
    assert len(purchases) == 1
    assert [n["e164"] for n in client.list_numbers(search=e164)] == [e164]


def test_retries_ride_out_503s_and_a_dropped_connection(simulator, client, sleeper):
    simulator.control.fail(status=503, count=2, path_prefix="/api/v1/auth/me")
    simulator.control.drop(count=1, path_prefix="/api/v1/account/")

    client.get_account()
    client.get_balance("INR")

    assert sleeper.calls == [1, 2, 1]


def test_a_429_carries_the_simulators_retry_after(simulator, client, sleeper):
    simulator.control.rate_limit(retry_after=7, count=1)

    with pytest.raises(RateLimited) as info:
        client.get_balance("INR")

    assert info.value.retry_after == 7
    assert sleeper.calls == []


def test_console_login_and_refresh_work_with_the_simulator(client):
    first = client.login()
    again = client.refresh()

    assert again.access_token != first.access_token
    assert client.get_account()["auth_id"] == client.auth_id


def test_a_sub_account_acts_on_its_own_routes(fresh_state, client, observed):
    created = client.create_sub_account("Integration Team", rate_limit=500)
    credentials = created["auth_credentials"]

    sub = client.for_sub_account(credentials["auth_id"], credentials["auth_token"])
    list(sub.list_numbers())

    assert observed[-1].sub_account == credentials["auth_id"]
    assert observed[-1].outcome == "ok"


def test_trunk_writes_are_seen_through_the_cache(simulator, fresh_state):
    creds = simulator.credentials
    client = VobizClient(
        simulator.base_url,
        creds["auth_id"],
        creds["auth_token"],
        ca_bundle=simulator.ca_bundle,
        cache=MemoryStore(),
    )
    before = len(list(client.list_trunks()))

    trunk = client.create_trunk("Integration", "outbound", 5)
    assert len(list(client.list_trunks())) == before + 1
    client.delete_trunk(trunk["trunk_id"])

    assert len(list(client.list_trunks())) == before
