"""Balance selectors: consumption rate, runway, the page's figures, low balance."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from billing import selectors
from billing.selectors.balance import BalanceView, balance_is_low
from tests.billing.report_data import at, balance_snapshot, bulk_cdrs, transaction

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


def test_rate_comes_from_ledger_debits_without_top_ups(provider):
    transaction(provider, when=at(19), amount="100")
    transaction(provider, when=at(13, 0), amount="40")  # first second of the window
    transaction(provider, when=at(12, 23), amount="70")  # only in the 30-day window
    transaction(
        provider, when=at(18), amount="1000", type="credit", reference_type="payment"
    )
    transaction(provider, when=at(20, 9), amount="500")  # today: not a full day yet
    seven = selectors.consumption_rate(provider=provider, days=7)
    thirty = selectors.consumption_rate(provider=provider, days=30)
    assert (seven.method, seven.total, seven.per_day) == (
        "ledger",
        Decimal("140"),
        Decimal("20.00"),
    )
    assert (thirty.total, thirty.per_day) == (Decimal("210"), Decimal("7.00"))


def test_rate_falls_back_to_rollup_cost_when_the_ledger_is_empty(provider, team_a):
    bulk_cdrs(provider, team_a, count=10, start=at(15), cost=Decimal("1.4"))
    bulk_cdrs(provider, team_a, count=5, start=at(20, 1), cost=Decimal("9"))  # today
    rate = selectors.consumption_rate(provider=provider, days=7)
    assert (rate.method, rate.total, rate.per_day) == (
        "rollups",
        Decimal("14"),
        Decimal("2.00"),
    )


def test_ledger_with_rows_but_no_debits_means_no_spend(provider, team_a):
    transaction(provider, when=at(18), amount="1000", type="credit")
    bulk_cdrs(provider, team_a, count=10, start=at(15), cost=Decimal("1.4"))
    rate = selectors.consumption_rate(provider=provider, days=7)
    assert (rate.method, rate.per_day) == ("ledger", Decimal("0.00"))


@pytest.mark.parametrize(
    ("balance", "per_day", "expected"),
    [
        ("1000", "20", Decimal("50.0")),
        ("100", "30", Decimal("3.3")),
        ("-5", "20", Decimal("0")),
        ("1000", "0", None),
    ],
)
def test_runway_is_balance_over_daily_rate(balance, per_day, expected):
    assert (
        selectors.runway_days(balance=Decimal(balance), per_day=Decimal(per_day))
        == expected
    )


def test_balance_overview_uses_latest_snapshot_and_seven_day_rate(
    provider, finance_user
):
    balance_snapshot(provider, when=at(10), balance="5000")
    balance_snapshot(provider, when=at(20, 10), balance="1100", available="1000")
    balance_snapshot(provider, when=at(20, 9), balance="1200")
    transaction(provider, when=at(19), amount="140")
    [view] = selectors.balance_overview(user=finance_user)
    assert view.snapshot.available_balance == Decimal("1000")
    assert view.rate_7.per_day == Decimal("20.00")
    assert view.runway == Decimal("50.0")
    assert view.empty_on == dt.date(2027, 1, 9)
    # One closing value per day, oldest first.
    assert [s.taken_at for s in view.history] == [at(10), at(20, 10)]


@pytest.mark.parametrize(
    ("available", "threshold", "low"),
    [
        ("999.99", "1000", True),
        ("-5", "1000", True),
        ("1000", "1000", False),  # at the threshold is not below it
        ("5000", "1000", False),
        ("0", "0", False),  # 0 means no threshold is configured
        ("-5", "0", False),
        ("-5", None, False),
    ],
)
def test_a_balance_is_low_only_below_a_configured_threshold(available, threshold, low):
    assert (
        balance_is_low(
            available=Decimal(available),
            threshold=None if threshold is None else Decimal(threshold),
        )
        is low
    )


@pytest.mark.parametrize(
    ("available", "threshold", "low"),
    [("900", "1000", True), ("1000", "1000", False), ("0", "0", False)],
)
def test_the_balance_page_asks_the_one_definition(
    provider, finance_user, available, threshold, low
):
    balance_snapshot(
        provider,
        when=at(20, 10),
        balance=available,
        low_balance_threshold=Decimal(threshold),
    )
    [view] = selectors.balance_overview(user=finance_user)
    assert view.is_low is low
    [summary] = selectors.balance_summary(user=finance_user)
    assert summary.is_low is low


def test_no_snapshot_is_not_low(provider):
    rate = selectors.consumption_rate(provider=provider, days=7)
    view = BalanceView(
        provider=provider, snapshot=None, history=[], rate_7=rate, rate_30=rate
    )
    assert view.is_low is False
