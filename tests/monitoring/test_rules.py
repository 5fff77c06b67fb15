"""Each alert rule fires on data that meets its condition and resolves when the
data no longer does. CDRs go in through billing's real ingest."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from accounts.audit import audit_record
from billing.models import BalanceSnapshot, Budget
from monitoring.models import Alert, SyntheticCheck
from monitoring.rules.calls import risky_destination
from monitoring.services import alerts_evaluate
from sync.models import SyncState
from tests.monitoring.conftest import NOW, api_calls, calls, cdr, ingest, only_rule
from trunks.models import Trunk, TrunkCredential

pytestmark = pytest.mark.django_db

MIN = dt.timedelta(minutes=1)
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


def firing(kind):
    return list(Alert.objects.filter(kind=kind, state="firing").order_by("pk"))


def resolved(kind):
    return list(Alert.objects.filter(kind=kind, state="resolved"))


def evaluate(at=NOW):
    return alerts_evaluate(now=at)


def trunk(provider, team, **fields):
    defaults = {"remote_id": "trk-1", "name": "Sales trunk", "status": "active"}
    return Trunk.objects.create(
        provider_account=provider, sub_account=team, **{**defaults, **fields}
    )


# --- balance below threshold --------------------------------------------------


def snapshot(provider, available, threshold="1000", at=NOW):
    return BalanceSnapshot.objects.create(
        provider_account=provider,
        taken_at=at,
        currency="INR",
        balance=Decimal(available),
        available_balance=Decimal(available),
        low_balance_threshold=Decimal(threshold),
    )


def test_balance_below_the_snapshot_threshold_fires_and_resolves_on_top_up(provider):
    only_rule("balance_low")
    snapshot(provider, "450.00", at=NOW - MIN)
    evaluate()
    [alert] = firing("balance_low")
    assert alert.provider_account == provider
    assert "450.00 INR" in alert.message and "1,000.00" in alert.message
    snapshot(provider, "5000.00", at=NOW + MIN)
    evaluate(NOW + 2 * MIN)
    assert firing("balance_low") == [] and len(resolved("balance_low")) == 1


def test_the_rules_own_balance_threshold_wins_over_vobizs(provider):
    rule = only_rule("balance_low")
    rule.threshold = Decimal("3000")
    rule.save()
    snapshot(provider, "2000.00", threshold="1000")
    evaluate()
    assert len(firing("balance_low")) == 1


def test_no_threshold_configured_anywhere_never_fires(provider):
    only_rule("balance_low")
    snapshot(provider, "1.00", threshold="0")
    evaluate()
    assert firing("balance_low") == []


# --- error rate ---------------------------------------------------------------


def test_error_rate_above_five_percent_fires_and_resolves_when_the_window_passes(
    provider,
):
    only_rule("error_rate")
    api_calls(provider, 90, at=NOW - MIN, spread_seconds=300)
    api_calls(provider, 10, outcome="error", status=500, at=NOW - MIN)
    evaluate()
    [alert] = firing("error_rate")
    assert alert.value == pytest.approx(10.0)
    assert "10.0% of 100" in alert.message
    evaluate(NOW + 20 * MIN)
    assert firing("error_rate") == []


def test_error_rate_needs_the_minimum_request_count(provider):
    only_rule("error_rate")
    api_calls(provider, 5, at=NOW - MIN)
    api_calls(provider, 5, outcome="error", status=500, at=NOW - MIN)
    evaluate()
    assert firing("error_rate") == []


def test_token_refreshes_are_not_failures(provider):
    only_rule("error_rate")
    api_calls(provider, 95, at=NOW - MIN)
    api_calls(provider, 60, outcome="token_refresh", status=401, at=NOW - MIN)
    api_calls(provider, 4, outcome="error", status=502, at=NOW - MIN)
    evaluate()
    assert firing("error_rate") == []


# --- trunk down ---------------------------------------------------------------


def test_an_inactive_trunk_fires_with_when_it_went_inactive_and_resolves(
    provider, team_a
):
    only_rule("trunk_down")
    t = trunk(provider, team_a, status="inactive")
    audit_record(
        actor=None,
        action="trunk.went_inactive",
        obj=t,
        sub_account=team_a,
        before={"status": "active"},
        after={"status": "inactive"},
    )
    evaluate()
    [alert] = firing("trunk_down")
    assert alert.sub_account == team_a and alert.severity == "critical"
    assert "inactive" in alert.message and " since " in alert.message
    Trunk.objects.filter(pk=t.pk).update(status="active")
    evaluate(NOW + MIN)
    assert firing("trunk_down") == []


def test_a_disabled_trunk_is_not_down(provider, team_a):
    only_rule("trunk_down")
    trunk(provider, team_a, status="inactive", enabled=False)
    evaluate()
    assert firing("trunk_down") == []


def test_a_trunk_that_goes_silent_after_traffic_fires_and_resolves_on_a_call(
    provider, team_a
):
    only_rule("trunk_down")
    trunk(provider, team_a)
    ingest(provider, calls(team_a, 6, NOW - 110 * MIN, trunk="trk-1"))
    evaluate()
    [alert] = firing("trunk_down")
    assert alert.details["reason"] == "silent"
    assert "carried 6 calls" in alert.message
    ingest(provider, [cdr(team_a, NOW - 5 * MIN, trunk="trk-1")])
    evaluate(NOW + MIN)
    assert firing("trunk_down") == []


def test_silence_is_judged_up_to_the_last_cdr_sync(provider, team_a):
    only_rule("trunk_down")
    trunk(provider, team_a)
    ingest(provider, calls(team_a, 6, NOW - 110 * MIN, trunk="trk-1"))
    # The last CDR sync ran 70 minutes ago: the last hour is not known yet.
    SyncState.objects.create(
        provider_account=provider, kind="cdrs", last_success_at=NOW - 70 * MIN
    )
    evaluate()
    assert firing("trunk_down") == []


# --- rate limit approaching ---------------------------------------------------


def test_api_requests_near_a_sub_accounts_rate_limit_fire_and_resolve(provider, team_a):
    only_rule("rate_limit")
    team_a.rate_limit = 100
    team_a.save()
    api_calls(provider, 85, at=NOW - MIN / 2, sub_account=team_a, spread_seconds=20)
    evaluate()
    [alert] = firing("rate_limit")
    assert alert.sub_account == team_a and alert.value == pytest.approx(85.0)
    evaluate(NOW + 10 * MIN)
    assert firing("rate_limit") == []


def test_requests_below_eighty_percent_do_not_fire(provider, team_a):
    only_rule("rate_limit")
    team_a.rate_limit = 100
    team_a.save()
    api_calls(provider, 79, at=NOW - MIN / 2, sub_account=team_a, spread_seconds=20)
    evaluate()
    assert firing("rate_limit") == []


def test_a_trunks_calls_per_second_at_its_limit_fire(provider, team_a):
    only_rule("rate_limit")
    trunk(provider, team_a, cps_limit=2, concurrent_calls_limit=100)
    start = NOW - 2 * MIN
    ingest(
        provider,
        [cdr(team_a, start, trunk="trk-1"), cdr(team_a, start, trunk="trk-1")],
    )
    evaluate()
    [alert] = firing("rate_limit")
    assert alert.details == {"measure": "cps", "peak": 2, "limit": 2}
    assert alert.severity == "critical"


def test_a_trunks_concurrent_calls_near_its_limit_fire(provider, team_a):
    only_rule("rate_limit")
    trunk(provider, team_a, cps_limit=100, concurrent_calls_limit=10)
    overlapping = calls(
        team_a, 8, NOW - 4 * MIN, every_seconds=2, billsec=120, trunk="trk-1"
    )
    ingest(provider, overlapping)
    evaluate()
    [alert] = firing("rate_limit")
    assert alert.details["measure"] == "concurrency"
    assert alert.details["peak"] == 8


# --- credential rotation due --------------------------------------------------


def credential(provider, team, rotated_at):
    return TrunkCredential.objects.create(
        provider_account=provider,
        sub_account=team,
        remote_id="cred-1",
        username="sales-sip",
        rotated_at=rotated_at,
    )


def test_a_password_within_fourteen_days_of_rotation_fires_and_resolves_on_rotation(
    provider, team_a
):
    only_rule("credential_rotation")
    c = credential(provider, team_a, NOW - 80 * DAY)
    evaluate()
    [alert] = firing("credential_rotation")
    assert alert.severity == "warning" and "due on" in alert.message
    TrunkCredential.objects.filter(pk=c.pk).update(rotated_at=NOW)
    evaluate(NOW + MIN)
    assert firing("credential_rotation") == []


def test_an_overdue_password_is_critical(provider, team_a, settings):
    settings.TRUNK_PASSWORD_ROTATION_DAYS = 30
    only_rule("credential_rotation")
    credential(provider, team_a, NOW - 31 * DAY)
    evaluate()
    [alert] = firing("credential_rotation")
    assert alert.severity == "critical" and "overdue" in alert.message


def test_a_fresh_password_does_not_fire(provider, team_a):
    only_rule("credential_rotation")
    credential(provider, team_a, NOW - 60 * DAY)
    evaluate()
    assert firing("credential_rotation") == []


# --- budget thresholds --------------------------------------------------------


def test_budget_thresholds_fire_once_each_and_resolve_in_a_new_month(provider, team_a):
    only_rule("budget")
    Budget.objects.create(sub_account=team_a, monthly_amount=Decimal("100"))
    ingest(provider, calls(team_a, 11, NOW - 3 * DAY, cost="5.00"))
    evaluate()
    assert [a.details["threshold_percent"] for a in firing("budget")] == [50]
    ingest(provider, calls(team_a, 6, NOW - 2 * DAY, cost="5.00"))
    evaluate(NOW + MIN)
    assert [a.details["threshold_percent"] for a in firing("budget")] == [50, 80]
    evaluate(NOW + 2 * MIN)
    assert Alert.objects.filter(kind="budget").count() == 2
    evaluate(dt.datetime(2026, 7, 1, 0, 5, tzinfo=dt.UTC))
    assert firing("budget") == [] and len(resolved("budget")) == 2


def test_spending_the_whole_budget_is_critical(provider, team_a):
    only_rule("budget")
    Budget.objects.create(sub_account=team_a, monthly_amount=Decimal("10"))
    ingest(provider, calls(team_a, 3, NOW - DAY, cost="5.00"))
    evaluate()
    top = firing("budget")[-1]
    assert top.details["threshold_percent"] == 100 and top.severity == "critical"


# --- ASR below baseline -------------------------------------------------------


def baseline(provider, team, *, days=14, per_day=10, answered_per_day=6):
    raws = []
    for d in range(2, days + 2):
        start = NOW - d * DAY
        raws += calls(team, answered_per_day, start, answered=True)
        raws += calls(team, per_day - answered_per_day, start + HOUR, answered=False)
    ingest(provider, raws)


def test_asr_well_below_the_fourteen_day_baseline_fires_and_resolves(provider, team_a):
    only_rule("asr_drop")
    baseline(provider, team_a)
    recent = calls(team_a, 12, NOW - 20 * HOUR, answered=True)
    recent += calls(team_a, 48, NOW - 19 * HOUR, answered=False)
    ingest(provider, recent)
    evaluate()
    [alert] = firing("asr_drop")
    assert alert.value == pytest.approx(20.0)
    assert "60%" in alert.message
    ingest(provider, calls(team_a, 60, NOW - 10 * HOUR, answered=True))
    evaluate(NOW + MIN)
    assert firing("asr_drop") == []


def test_asr_drop_needs_the_minimum_call_count(provider, team_a):
    only_rule("asr_drop")
    baseline(provider, team_a)
    ingest(provider, calls(team_a, 20, NOW - 5 * HOUR, answered=False))
    evaluate()
    assert firing("asr_drop") == []


# --- toll fraud ---------------------------------------------------------------


def test_a_burst_of_international_calls_fires_for_that_team_and_resolves(
    provider, team_a, team_b
):
    only_rule("toll_fraud")
    ingest(provider, calls(team_a, 12, NOW - 50 * MIN, to="+447911123456"))
    ingest(provider, calls(team_b, 30, NOW - 50 * MIN, to="+918012345678"))
    evaluate()
    [alert] = firing("toll_fraud")
    assert alert.sub_account == team_a and alert.value == 12
    evaluate(NOW + 2 * HOUR)
    assert firing("toll_fraud") == []


def test_premium_numbers_count_even_when_domestic(provider, team_a):
    only_rule("toll_fraud")
    ingest(provider, calls(team_a, 10, NOW - 30 * MIN, to="+9119001234567"))
    evaluate()
    assert len(firing("toll_fraud")) == 1


def test_a_team_that_always_calls_abroad_is_judged_against_its_baseline(
    provider, team_a
):
    only_rule("toll_fraud")
    # Four international calls an hour, every hour of the last week.
    history = []
    for hour in range(2, 7 * 24, 1):
        history += calls(team_a, 4, NOW - hour * HOUR, to="+14155550100")
    ingest(provider, history)
    ingest(provider, calls(team_a, 12, NOW - 50 * MIN, to="+14155550100"))
    evaluate()
    assert firing("toll_fraud") == []


@pytest.mark.parametrize(
    ("number", "risky"),
    [
        ("+918012345678", False),
        ("918012345678", False),
        ("08012345678", False),
        ("8012345678", False),
        ("+447911123456", True),
        ("447911123456", True),
        ("0044791112345", True),
        ("+9119001234567", True),
        ("+979123456789", True),
        ("+88213456789", True),
    ],
)
def test_destination_classification(provider, team_a, number, risky):
    ingest(provider, [cdr(team_a, NOW, to=number)])
    from billing.models import Cdr

    assert Cdr.objects.filter(risky_destination()).exists() is risky


# --- synthetic test call ------------------------------------------------------


def test_a_failed_synthetic_call_fires_and_a_passing_one_resolves(provider):
    only_rule("synthetic_call")
    SyntheticCheck.objects.create(
        provider_account=provider,
        started_at=NOW - 10 * MIN,
        ok=False,
        error="No CDR appeared.",
        from_number="+918000000001",
        to_number="+918000000002",
    )
    evaluate()
    [alert] = firing("synthetic_call")
    assert "No CDR appeared." in alert.message
    SyntheticCheck.objects.create(
        provider_account=provider,
        started_at=NOW - MIN,
        ok=True,
        from_number="+918000000001",
        to_number="+918000000002",
    )
    evaluate()
    assert firing("synthetic_call") == []


# --- scope --------------------------------------------------------------------


def test_a_rule_for_one_team_only_watches_that_team(provider, team_a, team_b):
    from monitoring.models import AlertRule

    AlertRule.objects.update(enabled=False)
    AlertRule.objects.create(
        kind="toll_fraud",
        name="Team B fraud",
        sub_account=team_b,
        threshold=Decimal(5),
        min_count=10,
        window_minutes=60,
    )
    ingest(provider, calls(team_a, 12, NOW - 50 * MIN, to="+447911123456"))
    evaluate()
    assert firing("toll_fraud") == []
    ingest(provider, calls(team_b, 12, NOW - 50 * MIN, to="+447911123456"))
    evaluate()
    assert [a.sub_account for a in firing("toll_fraud")] == [team_b]
