"""Call-record rules (budget, ASR drop, toll fraud) fire on data that meets their
condition and resolve when it no longer does; a team's rule watches that team
only. CDRs go in through billing's real ingest."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from billing.models import Budget
from monitoring.models import Alert, AlertRule
from monitoring.rules.calls import risky_destination
from tests.monitoring.conftest import (
    DAY,
    HOUR,
    MIN,
    NOW,
    calls,
    cdr,
    evaluate,
    firing,
    ingest,
    only_rule,
    resolved,
)

pytestmark = pytest.mark.django_db


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


# --- scope --------------------------------------------------------------------


def test_a_rule_for_one_team_only_watches_that_team(provider, team_a, team_b):
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
