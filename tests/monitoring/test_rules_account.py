"""Account-wide rules (low balance, API error rate, failed synthetic test call)
fire on data that meets their condition and resolve when it no longer does."""

from __future__ import annotations

from decimal import Decimal

import pytest

from billing.models import BalanceSnapshot
from monitoring.models import SyntheticCheck
from tests.monitoring.conftest import (
    MIN,
    NOW,
    api_calls,
    evaluate,
    firing,
    only_rule,
    resolved,
)

pytestmark = pytest.mark.django_db


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


def test_a_balance_at_the_threshold_is_not_low_as_on_the_balance_page(provider):
    only_rule("balance_low")
    snapshot(provider, "1000.00", threshold="1000")
    evaluate()
    assert firing("balance_low") == []
    snapshot(provider, "999.99", threshold="1000", at=NOW + MIN)
    evaluate(NOW + 2 * MIN)
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
