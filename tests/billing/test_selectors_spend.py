"""Spend selectors: budget status, team spend, showback per team and month."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from billing import selectors
from billing.models import Budget
from tests.billing.report_data import at, bulk_cdrs

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


def test_budget_status_reports_spend_percent_and_crossed_thresholds(
    provider, team_a, team_b
):
    Budget.objects.create(sub_account=team_a, monthly_amount=Decimal("10"))
    bulk_cdrs(provider, team_a, count=17, start=at(5), cost=Decimal("0.5"))
    bulk_cdrs(provider, team_a, count=4, start=at(1) - dt.timedelta(days=2))  # October
    bulk_cdrs(provider, team_b, count=3, start=at(5))
    status = selectors.budget_status(sub_account=team_a)
    assert status["month"] == dt.date(2026, 11, 1)
    assert status["spend"] == Decimal("8.5")
    assert status["percent"] == Decimal("85.0")
    assert status["crossed"] == [50, 80]
    assert status["status"] == "80"
    assert status["budget"] == Decimal("10")
    assert status["currency"] == "INR"


def test_budget_status_without_budget_and_for_another_month(provider, team_b):
    bulk_cdrs(provider, team_b, count=3, start=at(5))
    status = selectors.budget_status(sub_account=team_b, month=dt.date(2026, 10, 9))
    assert (status["spend"], status["budget"], status["status"]) == (
        Decimal(0),
        None,
        "none",
    )
    assert status["crossed"] == [] and status["percent"] is None


def test_over_budget_crosses_every_threshold(provider, team_a):
    Budget.objects.create(sub_account=team_a, monthly_amount=Decimal("1"))
    bulk_cdrs(provider, team_a, count=3, start=at(5))
    status = selectors.budget_status(sub_account=team_a)
    assert status["crossed"] == [50, 80, 100] and status["status"] == "over"


def test_team_spend_matches_budget_status_for_every_team(
    provider, team_a, team_b, lead_a, finance_user
):
    Budget.objects.create(sub_account=team_a, monthly_amount=Decimal("2"))
    bulk_cdrs(provider, team_a, count=3, start=at(5))
    bulk_cdrs(provider, team_b, count=5, start=at(6))
    rows = selectors.team_spend(user=finance_user)
    for row in rows:
        assert row == selectors.budget_status(sub_account=row["sub_account"])
    assert [r["sub_account"].name for r in selectors.team_spend(user=lead_a)] == [
        "Team A"
    ]


def test_showback_groups_cost_per_team_per_month(
    provider, team_a, team_b, lead_b, finance_user
):
    bulk_cdrs(provider, team_a, count=2, start=at(5))
    bulk_cdrs(provider, team_a, count=4, start=dt.datetime(2026, 9, 3, tzinfo=dt.UTC))
    bulk_cdrs(provider, team_b, count=1, start=at(6))
    show = selectors.showback(user=finance_user)
    assert show.months[0] == dt.date(2026, 6, 1) and show.months[-1] == dt.date(
        2026, 11, 1
    )
    rows = {name: (values, total) for name, values, total in show.rows}
    assert rows["Team A"][0][3] == Decimal("1.8") and rows["Team A"][0][5] == Decimal(
        "0.9"
    )
    assert rows["Team A"][1] == Decimal("2.7")
    assert show.totals[5] == Decimal("1.35")
    assert [name for name, _, _ in selectors.showback(user=lead_b).rows] == ["Team B"]
