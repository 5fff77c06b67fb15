"""Whole flows of the client against its own simulator over HTTPS on loopback.

The module runs a private simulator (1 seeded day) so it can seed 10,000 CDRs,
move the simulated clock and inject fault storms without disturbing the
session-wide one. Clients get a fake clock that their recording ``sleep``
advances, so backoff, Retry-After and the breaker's open period cost no real
time.
"""

from __future__ import annotations

import secrets
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
import requests

from simulator.server import SimulatorHandle, start_in_thread
from vobiz import VobizClient
from vobiz.errors import VobizError

pytestmark = pytest.mark.integration

CDR_COUNT = 10_000
CDRS_PATH = "/Account/{auth_id}/cdr"
PURCHASE_ROUTE = "POST /api/v1/Account/{auth_id}/numbers/purchase-from-inventory"
# Not zero, so a backoff (1.001 s, 2.001 s...) never looks like a Retry-After.
JITTER = 0.001


class FakeTime:
    """A clock that only moves when the client sleeps; records every sleep."""

    def __init__(self, start: float) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class Harness:
    """A client bound to the module's simulator, with its fake time and log."""

    def __init__(self, sim: SimulatorHandle, **options: object) -> None:
        creds = sim.credentials
        self.time = FakeTime(sim.control.clock()["epoch"])
        self.observed: list = []
        self.client = VobizClient(
            sim.base_url,
            creds["auth_id"],
            creds["auth_token"],
            ca_bundle=sim.ca_bundle,
            login_email=creds["email"],
            login_password=creds["password"],
            observer=self.observed.append,
            sleep=self.time.sleep,
            clock=self.time.clock,
            jitter=lambda: JITTER,
            **options,
        )

    def outcomes(self) -> Counter:
        return Counter(attempt.outcome for attempt in self.observed)


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory):
    handle = start_in_thread(
        tmp_path_factory.mktemp("vobiz-flows"), seed_days=1, seed=23
    )
    yield handle
    handle.stop()


@pytest.fixture(autouse=True)
def _calm(sim):
    """Leave no fault behind for the next test."""
    yield
    sim.control.reset_faults()


@pytest.fixture(scope="module")
def cdr_day(sim) -> date:
    """Seed 10,000 CDRs on a day the seed left empty, and return that day."""
    now = datetime.fromtimestamp(sim.control.clock()["epoch"], UTC)
    day = (now - timedelta(days=10)).date()
    sim.control.seed_cdrs(CDR_COUNT, start=f"{day}T00:00:00Z", end=f"{day}T23:59:59Z")
    return day


@pytest.fixture(scope="module")
def clean_uuids(sim, cdr_day) -> list[str]:
    """Return the day's CDR uuids, in order, read with no fault at all."""
    client = Harness(sim).client
    return [cdr["uuid"] for cdr in client.iter_cdrs(cdr_day, cdr_day)]


def reported_total(sim: SimulatorHandle, day: date) -> int:
    """Return ``pagination.total`` as the API itself reports it for ``day``."""
    auth_id = sim.credentials["auth_id"]
    response = requests.get(
        sim.base_url + CDRS_PATH.format(auth_id=auth_id),
        params={"start_date": str(day), "end_date": str(day), "per_page": 1},
        headers=sim.auth_headers(),
        verify=sim.ca_bundle,
        timeout=30,
    )
    response.raise_for_status()
    return int(response.json()["pagination"]["total"])


def purchases_sent(sim: SimulatorHandle) -> int:
    return int(sim.control.counters()["requests_by_path"].get(PURCHASE_ROUTE, 0))


def first_for_sale(client: VobizClient) -> dict:
    return next(client.search_inventory(country="IN"))


def ledger_rows(client: VobizClient, reference: str) -> list[dict]:
    return [row for row in client.iter_transactions() if row["reference"] == reference]


# The whole flow


def sign_in_and_survive_expiry(sim: SimulatorHandle, harness: Harness) -> None:
    client = harness.client
    first = client.login()
    renewed = client.refresh()
    # Refresh rotates both tokens.
    assert renewed.access_token != first.access_token
    assert renewed.refresh_token != first.refresh_token
    assert client.get_account()["auth_id"] == client.auth_id
    # Past the access token's 30 minutes on the server's clock only, so the
    # client sends it, gets 401 TOKEN_EXPIRED, refreshes once and carries on.
    sim.control.advance(1801)
    assert client.get_account()["auth_id"] == client.auth_id
    assert harness.outcomes()["token_refresh"] == 1


def set_up_trunk(client: VobizClient) -> dict:
    trunk = client.create_trunk("Flow trunk", "outbound", 10)
    username = f"flow{secrets.token_hex(4)}"
    credential = client.create_credential(username, secrets.token_urlsafe(18))
    acl = client.create_ip_acl("Flow office", "49.36.10.20")
    client.update_trunk(
        trunk["trunk_id"],
        name="Flow trunk",
        max_concurrent_calls=10,
        enabled=True,
        credential_uuid=credential["id"],
        ipacl_uuid=acl["id"],
    )
    stored = client.get_trunk(trunk["trunk_id"])
    assert stored["credential_uuid"] == credential["id"]
    assert stored["ipacl_uuid"] == acl["id"]
    return stored


def buy_number(client: VobizClient) -> dict:
    offer = first_for_sale(client)
    cost = offer["setup_fee"] + offer["monthly_fee"]
    before = client.get_balance("INR")["available_balance"]

    number = client.purchase_number(offer["e164"], secrets.token_hex(16))

    assert number["e164"] == offer["e164"]
    assert client.get_balance("INR")["available_balance"] == before - cost
    (row,) = ledger_rows(client, f"did_{number['id']}")
    assert (row["type"], row["reference_type"], row["amount"]) == (
        "debit",
        "did_rental",
        cost,
    )
    return number


def test_console_trunk_number_and_cdr_flow(sim, cdr_day, clean_uuids):
    harness = Harness(sim)
    client = harness.client
    sign_in_and_survive_expiry(sim, harness)
    sub_accounts = list(client.list_sub_accounts())
    assert sub_accounts
    assert all(sa["auth_id"].startswith("SA_") for sa in sub_accounts)

    trunk = set_up_trunk(client)
    number = buy_number(client)
    client.assign_number_to_trunk(number["e164"], trunk["trunk_id"])
    (owned,) = client.list_numbers(search=number["e164"])
    assert owned["trunk_group_id"] == trunk["trunk_id"]

    uuids = [cdr["uuid"] for cdr in client.iter_cdrs(cdr_day, cdr_day)]
    assert len(uuids) == reported_total(sim, cdr_day) == CDR_COUNT
    assert len(set(uuids)) == len(uuids)
    assert uuids == clean_uuids


# Fault storms


def start_storm(sim: SimulatorHandle) -> None:
    sim.control.error_rate(0.3, statuses=[503], seed=101)
    sim.control.rate_limit(retry_after=1, fraction=0.1, seed=202)


def test_a_patient_client_yields_every_cdr_once_through_a_fault_storm(
    sim, cdr_day, clean_uuids
):
    harness = Harness(sim, patience_seconds=300)
    start_storm(sim)

    uuids = [cdr["uuid"] for cdr in harness.client.iter_cdrs(cdr_day, cdr_day)]

    assert uuids == clean_uuids
    assert len(set(uuids)) == CDR_COUNT
    # The storm was real: 503s retried, and every 429 waited out for exactly
    # its Retry-After before the same page was asked for again.
    outcomes = harness.outcomes()
    assert outcomes["retry"] > 0
    assert outcomes["rate_limited"] > 0
    assert harness.time.sleeps.count(1.0) == outcomes["rate_limited"]


def test_without_patience_the_same_storm_ends_the_paging(sim, cdr_day):
    harness = Harness(sim)
    start_storm(sim)

    with pytest.raises(VobizError) as caught:
        for _ in harness.client.iter_cdrs(cdr_day, cdr_day):
            pass
    assert caught.value.transient


# Purchases whose answer is lost


@pytest.mark.parametrize("mode", ["drop", "error"])
def test_a_purchase_whose_answer_is_lost_is_bought_once(sim, mode):
    client = Harness(sim).client
    offer = first_for_sale(client)
    cost = offer["setup_fee"] + offer["monthly_fee"]
    before = client.get_balance("INR")["available_balance"]
    sent_before = purchases_sent(sim)
    sim.control.fail_after_commit(count=1, mode=mode)

    number = client.purchase_number(offer["e164"], secrets.token_hex(16))

    assert number["e164"] == offer["e164"]
    owned = list(client.list_numbers(search=offer["e164"]))
    assert [n["e164"] for n in owned] == [offer["e164"]]
    assert len(ledger_rows(client, f"did_{number['id']}")) == 1
    assert client.get_balance("INR")["available_balance"] == before - cost
    # Not re-sent at all: the client found the number owned and stopped there.
    assert purchases_sent(sim) - sent_before == 1
