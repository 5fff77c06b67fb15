"""The Vobiz-side load scenario: pacing, verdicts, and the limits at the simulator."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from accounts.sync import sub_accounts_sync
from loadtest import scenario
from loadtest.scenario import CallResult
from sync.clients import client_for
from sync.models import ApiCall
from trunks.sync import trunks_sync
from vobiz.client import VobizClient


def _call(offset, status=201, limit_type="", scope="", at=None):
    return CallResult(offset, at if at is not None else 1000 + offset, status,
                      limit_type, scope, 5.0)  # fmt: skip


def test_slots_pace_calls_evenly():
    assert scenario.slots(4, 1.5) == [0, 0.25, 0.5, 0.75, 1.0, 1.25]
    assert scenario.slots(0, 10) == []
    assert len(scenario.slots(3.6, 6)) == 22


def test_max_in_window_counts_a_sliding_window():
    assert scenario.max_in_window([0, 0.2, 0.4, 0.6, 0.8], window=1.0) == 5
    assert scenario.max_in_window([0, 0.2, 0.4, 0.6, 0.8, 1.0], window=1.0) == 5
    # 0.9 s leaves room for the gap between sending and the simulator's clock.
    assert scenario.max_in_window([0, 0.25, 0.5, 0.75, 0.9999]) == 4
    assert scenario.max_in_window([]) == 0


def test_drive_keeps_to_the_schedule_whatever_each_call_takes():
    sent = []

    def place():
        sent.append(time.monotonic())
        time.sleep(0.3)  # a slow answer must not delay the next call
        return 201, "", ""

    results = scenario.drive(place, cps=10, seconds=0.5)

    assert len(results) == 5
    assert [round(r.offset, 1) for r in results] == [0.0, 0.1, 0.2, 0.3, 0.4]
    assert max(sent) - min(sent) < 0.5
    assert all(r.ms >= 290 for r in results)


def test_summarize_adds_up_accepted_and_refused_calls():
    results = [
        _call(0.0),
        _call(0.2),
        _call(0.4, 429, "cps", "trunk"),
        _call(0.6, 429, "cps", "trunk"),
        _call(0.8, 429, "concurrency", "account"),
        _call(1.0, 503),
    ]

    figures = scenario.summarize(results, limit=2)

    assert figures["attempted"] == 6
    assert figures["accepted"] == 2
    assert figures["rate_limited"] == 3
    assert figures["rate_limited_by"] == {"trunk:cps": 2, "account:concurrency": 1}
    assert figures["other_errors"] == 1
    assert figures["max_accepted_per_window"] == 2
    assert figures["first_429_at"] == 1000.4


def _verdicts(**changes):
    below = scenario.summarize([_call(0), _call(0.3)])
    above = scenario.summarize(
        [_call(0), _call(0.2), _call(0.4, 429, "cps", "trunk", at=2000)]
    )
    full = scenario.summarize(
        [_call(0), _call(0.5), _call(1, 429, "concurrency", "trunk")]
    )
    args = {"cps_limit": 2, "concurrency": 2, "alert_fired_at": 1500.0, **changes}
    return scenario.verdicts(below, above, full, **args)


def test_verdicts_hold_when_limits_refuse_only_above_them_and_the_alert_came_first():
    assert all(_verdicts().values())


def test_verdicts_fail_when_the_alert_came_late_or_never():
    assert _verdicts(alert_fired_at=2500.0)["alert_before_first_429"] is False
    assert _verdicts(alert_fired_at=None)["alert_before_first_429"] is False


def test_verdicts_fail_when_more_calls_got_through_than_the_limit():
    verdicts = _verdicts(cps_limit=1, concurrency=3)
    assert verdicts["cps_limit_holds"] is False
    assert verdicts["concurrency_limit_holds"] is False


# --- against the simulator --------------------------------------------------------


def _plain_client(sim):
    creds = sim.credentials
    return VobizClient(sim.base_url, creds["auth_id"], creds["auth_token"],
                       ca_bundle=sim.ca_bundle)  # fmt: skip


@pytest.mark.slow
@pytest.mark.integration
def test_the_simulator_refuses_calls_above_the_trunk_cps_and_only_then(sim):
    client = _plain_client(sim)
    trunk_id = scenario.ensure_trunk(client, cps_limit=2, concurrency=10)
    sim.control.set_balance(100_000)
    place = scenario.placer(client, trunk_id, sim_outcome="failed")

    below = scenario.summarize(scenario.drive(place, cps=1, seconds=2), limit=2)
    time.sleep(1.1)
    above = scenario.summarize(scenario.drive(place, cps=6, seconds=2), limit=2)

    assert below["accepted"] == 2 and below["rate_limited"] == 0
    assert above["rate_limited"] > 0
    assert set(above["rate_limited_by"]) == {"trunk:cps"}
    assert 2 <= above["max_accepted_per_window"] <= 2
    assert above["accepted"] <= 6


@pytest.mark.slow
@pytest.mark.integration
def test_the_concurrent_call_limit_refuses_the_next_call(sim):
    client = _plain_client(sim)
    trunk_id = scenario.ensure_trunk(client, cps_limit=5, concurrency=2)
    sim.control.set_balance(100_000)
    place = scenario.placer(
        client, trunk_id, sim_outcome="answered", sim_billsec=30, time_limit=30
    )

    full = scenario.summarize(scenario.drive(place, cps=4, seconds=1), limit=2)

    assert full["accepted"] == 2
    assert full["rate_limited_by"] == {"trunk:concurrency": 2}


def _wait_for_second_start(sim, margin=0.05):
    # CDR start times are whole seconds of the simulator's clock: start a burst
    # just after one begins, so the burst stays inside one second.
    offset = sim.control.clock()["epoch"] - time.time()
    now = time.time() + offset
    time.sleep((1 - now % 1) + margin)


@pytest.mark.slow
@pytest.mark.integration
def test_rate_limit_alert_fires_at_80_percent_before_any_429(sim, sim_provider):
    sub_accounts_sync(provider=sim_provider)
    client = client_for(sim_provider)
    trunk_id = scenario.ensure_trunk(client, cps_limit=5, concurrency=10)
    trunks_sync(provider=sim_provider)
    sim.control.set_balance(100_000)
    began = dt.datetime.now(dt.UTC)
    _wait_for_second_start(sim)
    for _ in range(4):  # 4 calls in one second: 80% of the trunk's CPS
        client.make_call(scenario.FROM_NUMBER, "+919800000002", scenario.ANSWER_URL,
                         trunk_id=trunk_id, sim_outcome="failed")  # fmt: skip
    time.sleep(2.2)  # the failed calls ring for at most 2 s

    fired = scenario.rate_alert_fired(sim_provider, trunk_id)

    assert fired is not None
    place = scenario.placer(client, trunk_id, sim_outcome="failed")
    above = scenario.summarize([place_at(place) for _ in range(8)])
    assert above["rate_limited"] > 0
    assert fired < above["first_429_at"]
    calls = ApiCall.objects.filter(path_template="/Account/{auth_id}/Call/")
    assert (
        calls.filter(outcome="rate_limited", status=429).count()
        == above["rate_limited"]
    )
    figures = {
        f["endpoint"]: f
        for f in scenario.api_call_figures(began, dt.datetime.now(dt.UTC))
    }
    call_figures = figures["POST /Account/{auth_id}/Call/"]
    assert call_figures["count"] == 12
    assert call_figures["p95_ms"] > 0
    assert call_figures["outcomes"]["rate_limited"] == above["rate_limited"]


def place_at(place):
    sent = time.time()
    status, limit_type, scope = place()
    return CallResult(0.0, sent, status, limit_type, scope)
