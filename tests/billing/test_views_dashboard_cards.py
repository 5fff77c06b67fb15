"""The billing cards on the dashboard: balance, runway and budgets; calls this week."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from billing.models import Budget
from tests.billing.report_data import balance_snapshot, bulk_cdrs, transaction

pytestmark = pytest.mark.django_db

URL = reverse("portal:dashboard")
NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def figures(provider, team_a, team_b):
    balance_snapshot(provider, when=NOW, balance="700")
    transaction(provider, when=NOW - dt.timedelta(days=2), amount="70")
    Budget.objects.create(sub_account=team_a, monthly_amount=Decimal("1"))
    bulk_cdrs(provider, team_a, count=4, start=NOW - dt.timedelta(days=1))
    bulk_cdrs(provider, team_b, count=2, start=NOW - dt.timedelta(days=9))


def test_finance_dashboard_shows_balance_runway_and_budget_status(as_finance, figures):
    body = as_finance.get(URL).content.decode()
    assert "700.00 INR" in body and "70.0 days" in body and "10.00 INR" in body
    assert "Over budget" in body and "No budget" in body


def test_member_dashboard_shows_own_calls_this_week(as_lead_b, as_viewer_a, figures):
    body = as_viewer_a.get(URL).content.decode()
    assert "Calls this week" in body and "Balance and runway" not in body
    assert "1.80" in body  # team A's four calls
    other = as_lead_b.get(URL).content.decode()
    assert "1.80" not in other  # team B's calls are older than a week
