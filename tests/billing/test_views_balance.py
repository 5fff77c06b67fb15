"""The balance page: figures from the latest snapshot, rates, runway, method; roles."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from tests.billing.report_data import balance_snapshot, bulk_cdrs, transaction

pytestmark = pytest.mark.django_db

URL = reverse("billing:balance")
NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def snapshot(provider):
    balance_snapshot(provider, when=NOW - dt.timedelta(days=3), balance="9000")
    return balance_snapshot(
        provider,
        when=NOW - dt.timedelta(minutes=1),
        balance="1234.5",
        available="1000",
        reserved_funds="234.5",
        credit_limit="500",
        credit_limit_type="soft",
        low_balance_threshold="1500",
    )


def test_finance_sees_balance_rate_runway_and_method(as_finance, provider, snapshot):
    transaction(provider, when=NOW - dt.timedelta(days=1), amount="140")
    response = as_finance.get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    for text in ("1,234.50 INR", "1,000.00 INR", "234.50 INR", "500.00 INR (soft"):
        assert text in body
    assert "Below low-balance threshold" in body
    assert "50.0 days" in body and "20.00 INR" in body
    assert "the ledger&#x27;s debits" in body or "the ledger's debits" in body
    assert 'data-chart="' in body and "<script>" not in body


def test_method_says_rollups_when_ledger_is_empty(as_admin, provider, team_a, snapshot):
    bulk_cdrs(provider, team_a, count=10, start=NOW - dt.timedelta(days=2))
    body = as_admin.get(URL).content.decode()
    assert "call cost from the daily CDR rollups" in body


def test_no_snapshot_yet_says_so(as_finance, provider):
    assert b"No balance has been synced" in as_finance.get(URL).content


@pytest.mark.parametrize("persona", ["as_lead_a", "as_viewer_a", "as_lead_b"])
def test_members_get_403(request, persona, snapshot):
    assert request.getfixturevalue(persona).get(URL).status_code == 403


def test_billing_index_sends_each_role_to_its_page(as_finance, as_lead_a):
    index = reverse("billing:index")
    assert as_finance.get(index)["Location"] == URL
    assert as_lead_a.get(index)["Location"] == reverse("billing:spend")


def test_billing_is_in_everyones_navigation(as_viewer_a, as_finance):
    for client in (as_viewer_a, as_finance):
        assert b">Billing<" in client.get(reverse("portal:dashboard")).content


@pytest.mark.parametrize(
    ("available", "threshold"),
    [("0", "0"), ("1500", "1500")],
    ids=["no-threshold-configured", "at-the-threshold"],
)
def test_no_low_balance_badge_unless_below_a_configured_threshold(
    as_finance, provider, available, threshold
):
    balance_snapshot(
        provider,
        when=NOW - dt.timedelta(minutes=1),
        balance=available,
        low_balance_threshold=threshold,
    )
    body = as_finance.get(URL).content.decode()
    assert "Available balance" in body
    assert "Below low-balance threshold" not in body
