"""Synthetic test calls: against `responses` for each way a check can end, and
once end to end against the simulator's /Call/ endpoint over HTTPS."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import responses
from django.core.cache import cache

from monitoring.models import Alert, SyntheticCheck
from monitoring.services import alerts_evaluate, synthetic
from monitoring.tasks import synthetic_call
from sync.clients import forget_clients
from tests.monitoring.conftest import only_rule

pytestmark = pytest.mark.django_db

BASE = "https://api.vobiz.test/api/v1"
UUID = "5b1f0c1e-0000-4000-8000-00000000c0de"
SRC, DST = "+918000000001", "+918000000099"


@pytest.fixture
def configured(settings):
    settings.VOBIZ_BASE_URL = BASE
    settings.VOBIZ_CA_BUNDLE = None
    settings.SYNTHETIC_CALL_FROM = SRC
    settings.SYNTHETIC_CALL_TO = DST
    forget_clients()
    yield
    forget_clients()


@pytest.fixture
def api(configured):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


class Sleeps:
    def __init__(self):
        self.calls = []

    def __call__(self, seconds):
        self.calls.append(seconds)


def call_url(provider):
    return f"{BASE}/Account/{provider.auth_id}/Call/"


def cdr_row(*, pdd=1, billsec=5, cost=0.45):
    start = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)
    return {
        "uuid": UUID,
        "start_time": start.isoformat().replace("+00:00", "Z"),
        "progress_time": (start + dt.timedelta(seconds=pdd)).isoformat(),
        "answer_time": (start + dt.timedelta(seconds=4)).isoformat()
        if billsec
        else None,
        "billsec": billsec,
        "total_cost": cost,
        "mos": 4.4,
        "call_direction": "outbound",
    }


def cdr_page(rows):
    return {"data": rows, "pagination": {"page": 1, "has_next": False}, "success": True}


def ledger(rows):
    return {"transactions": rows, "total": len(rows)}


def expect(api, provider, *, cdrs, transactions=(), call_status=201):
    api.add(
        responses.POST,
        call_url(provider),
        json={"api_id": "a1", "message": "call fired", "request_uuid": UUID},
        status=call_status,
    )
    for page in cdrs:
        api.add(responses.GET, f"{BASE}/Account/{provider.auth_id}/cdr", json=page)
    api.add(
        responses.GET,
        f"{BASE}/account/{provider.auth_id}/transactions",
        json=ledger(list(transactions)),
    )


def debit():
    return {"id": "t1", "type": "debit", "amount": 0.45, "reference": f"cdr_{UUID}"}


def test_a_call_that_connects_leaves_a_cdr_and_is_billed_passes(api, provider):
    expect(
        api,
        provider,
        cdrs=[cdr_page([]), cdr_page([cdr_row()])],
        transactions=[debit()],
    )
    sleeps = Sleeps()
    check = synthetic.synthetic_call_run(provider=provider, sleep=sleeps, polls=3)
    assert check.ok, check.error
    assert (check.call_uuid, check.pdd_seconds, check.cdr_found) == (UUID, 1.0, True)
    assert (check.answered, check.debited, str(check.mos)) == (True, True, "4.40")
    assert sleeps.calls == [synthetic.POLL_INTERVAL]
    sent = json.loads(api.calls[0].request.body)
    assert (sent["from"], sent["to"], sent["time_limit"]) == (SRC, DST, 5)
    assert sent["answer_url"].endswith("/monitoring/synthetic/answer/")
    assert [s["step"] for s in check.steps] == ["make_call", "cdr", "connect", "debit"]


def test_a_slow_connect_fails(api, provider):
    expect(api, provider, cdrs=[cdr_page([cdr_row(pdd=5)])], transactions=[debit()])
    check = synthetic.synthetic_call_run(provider=provider, sleep=Sleeps(), polls=2)
    assert not check.ok
    assert "Post-dial delay 5.0s is over 3s" in check.error


def test_no_cdr_after_the_polls_fails(api, provider):
    expect(api, provider, cdrs=[cdr_page([])] * 3)
    sleeps = Sleeps()
    check = synthetic.synthetic_call_run(provider=provider, sleep=sleeps, polls=3)
    assert not check.ok and not check.cdr_found
    assert check.error == f"No CDR appeared for call {UUID}."
    assert len(sleeps.calls) == 2


def test_a_charged_call_without_a_debit_fails(api, provider):
    expect(api, provider, cdrs=[cdr_page([cdr_row()])], transactions=[])
    check = synthetic.synthetic_call_run(provider=provider, sleep=Sleeps(), polls=1)
    assert not check.ok and check.debited is False
    assert "no debit was found" in check.error


def test_an_unanswered_free_call_needs_no_debit(api, provider):
    expect(api, provider, cdrs=[cdr_page([cdr_row(billsec=0, cost=0)])])
    check = synthetic.synthetic_call_run(provider=provider, sleep=Sleeps(), polls=1)
    assert check.ok and check.answered is False and check.debited is None


def test_a_refused_call_fails_without_polling(api, provider):
    api.add(
        responses.POST,
        call_url(provider),
        json={
            "error": {"code": "INSUFFICIENT_BALANCE", "message": "Insufficient balance"}
        },
        status=402,
    )
    sleeps = Sleeps()
    check = synthetic.synthetic_call_run(provider=provider, sleep=sleeps)
    assert not check.ok and check.call_uuid == ""
    assert check.error.startswith("The call was refused:")
    # Worded once, by sync.errors.describe, as on every page.
    assert "Vobiz refused: the account balance is too low." in check.error
    assert sleeps.calls == [] and len(api.calls) == 1


def test_nothing_happens_unless_numbers_are_configured(api, provider, settings):
    settings.SYNTHETIC_CALL_TO = ""
    assert synthetic.synthetic_call_run(provider=provider) is None
    assert len(api.calls) == 0 and SyntheticCheck.objects.count() == 0


def test_two_checks_of_one_account_never_overlap(api, provider):
    cache.add(f"monitoring:synthetic:{provider.auth_id}", 1, 60)
    assert synthetic.synthetic_call_run(provider=provider) is None
    assert len(api.calls) == 0


def test_a_failed_check_raises_the_synthetic_alert(api, provider):
    only_rule("synthetic_call")
    expect(api, provider, cdrs=[cdr_page([])])
    synthetic.synthetic_call_run(provider=provider, sleep=Sleeps(), polls=1)
    alerts_evaluate()
    alert = Alert.objects.get(kind="synthetic_call", state="firing")
    assert "No CDR appeared" in alert.message


def test_the_task_reports_each_account(api, provider, monkeypatch):
    expect(api, provider, cdrs=[cdr_page([cdr_row()])], transactions=[debit()])
    monkeypatch.setattr(synthetic, "POLLS", 1)
    monkeypatch.setattr(synthetic.time, "sleep", lambda s: None)
    assert synthetic_call.run() == {provider.auth_id: "ok"}


def _advance_sim(sim):
    def advance(seconds):
        # The simulated call ends after ring + talk time on the simulator's clock.
        sim.control.advance(seconds=60)

    return advance


@pytest.mark.integration
def test_a_synthetic_call_through_the_simulator_passes(sim, sim_provider, settings):
    settings.SYNTHETIC_CALL_FROM = SRC
    settings.SYNTHETIC_CALL_TO = DST
    check = synthetic.synthetic_call_run(
        provider=sim_provider, sleep=_advance_sim(sim), polls=4
    )
    assert check.ok, (check.error, check.steps)
    assert check.cdr_found and check.pdd_seconds is not None
    assert check.pdd_seconds <= synthetic.MAX_PDD_SECONDS


@pytest.mark.integration
def test_an_answered_simulator_call_is_found_on_the_ledger(
    sim, sim_provider, settings, monkeypatch
):
    settings.SYNTHETIC_CALL_FROM = SRC
    settings.SYNTHETIC_CALL_TO = DST
    from vobiz.client import VobizClient

    place = VobizClient.make_call

    def answered(self, from_, to, answer_url, **fields):
        # A simulator-only field: pick the outcome instead of leaving it to chance.
        return place(self, from_, to, answer_url, sim_outcome="answered", **fields)

    monkeypatch.setattr(VobizClient, "make_call", answered)
    check = synthetic.synthetic_call_run(
        provider=sim_provider, sleep=_advance_sim(sim), polls=4
    )
    assert check.ok, (check.error, check.steps)
    assert check.answered is True and check.cost > 0
    assert check.debited is True
