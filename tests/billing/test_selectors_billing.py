"""Billing selectors: consumption rate, runway, budgets, rollups against raw rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest
import time_machine

from billing import selectors
from billing.filters import CdrCriteria
from billing.ingest import rollups_rebuild
from billing.models import Budget, Cdr, CdrCauseRollup
from billing.reports import cdr as cdr_reports
from billing.selectors.scope import scoped_cdrs, scoped_rollups
from tests.billing.report_data import (
    balance_snapshot,
    bulk_cdrs,
    ingest_batch,
    transaction,
)

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)


def at(day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


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


CRITERIA = [
    CdrCriteria(since=dt.date(2026, 11, 8), until=dt.date(2026, 11, 19)),
    CdrCriteria(
        since=dt.date(2026, 11, 12), until=dt.date(2026, 11, 14), direction="inbound"
    ),
    CdrCriteria(
        since=dt.date(2026, 11, 1), until=dt.date(2026, 11, 30), sub_account_id=-1
    ),
]


@pytest.mark.parametrize("criteria", CRITERIA)
def test_totals_from_rollups_equal_totals_from_raw_rows(
    provider, team_a, team_b, criteria
):
    ingest_batch(
        provider, [team_a, team_b], days=12, per_day=60, first_day=dt.date(2026, 11, 8)
    )
    if criteria.sub_account_id == -1:
        criteria = replace(criteria, sub_account_id=team_b.pk)
    cdrs, rollups = scoped_cdrs(None), scoped_rollups(None)
    rolled = cdr_reports.figures(cdrs=cdrs, rollups=rollups, criteria=criteria)
    raw = cdr_reports.figures(
        cdrs=cdrs, rollups=rollups, criteria=replace(criteria, raw=True)
    )
    assert criteria.uses_rollups and not replace(criteria, raw=True).uses_rollups
    assert rolled.totals.calls > 0
    assert rolled.totals == raw.totals
    assert rolled.daily == raw.daily
    assert rolled.team_cost == raw.team_cost
    assert (
        cdr_reports.report_totals(cdrs=cdrs, rollups=rollups, criteria=criteria)
        == raw.totals
    )


def test_totals_derive_asr_acd_minutes_and_pdd(provider, team_a):
    bulk_cdrs(provider, team_a, count=3, start=at(18), billsec=90, ring_time=3)
    bulk_cdrs(
        provider,
        team_a,
        count=1,
        start=at(18, 14),
        billsec=0,
        ring_time=7,
        hangup_cause="NO_ANSWER",
    )
    totals = cdr_reports.report_totals(
        cdrs=Cdr.objects.all(),
        rollups=scoped_rollups(None),
        criteria=CdrCriteria(since=dt.date(2026, 11, 18), until=dt.date(2026, 11, 18)),
    )
    assert (totals.calls, totals.answered) == (4, 3)
    assert totals.asr == Decimal("75.0")
    assert totals.acd == 90
    assert totals.billable_minutes == Decimal("4.5")
    assert totals.avg_pdd == Decimal("4.0")


def test_hangup_causes_fold_the_tail_into_other(provider, team_a):
    for n in range(12):
        bulk_cdrs(
            provider, team_a, count=12 - n, start=at(18), hangup_cause=f"CAUSE_{n:02d}"
        )
    rollups_rebuild(provider_id=provider.pk, days=[dt.date(2026, 11, 18)])
    day = {"since": dt.date(2026, 11, 18), "until": dt.date(2026, 11, 18)}
    from_raw, from_rollups = (
        cdr_reports.hangup_causes(
            cdrs=Cdr.objects.all(),
            causes=CdrCauseRollup.objects.all(),
            criteria=CdrCriteria(raw=raw, **day),
        )
        for raw in (True, False)
    )
    assert from_raw == from_rollups
    assert from_rollups[0] == ("CAUSE_00", 12)
    assert from_rollups[-1] == ("Other", 2 + 1)
    assert len(from_rollups) == 11


def test_export_lines_cover_every_row_once_in_batches(provider, team_a, monkeypatch):
    monkeypatch.setattr(cdr_reports, "EXPORT_BATCH", 7)
    bulk_cdrs(provider, team_a, count=15, start=at(18), step_seconds=0)  # all tied
    bulk_cdrs(provider, team_a, count=8, start=at(18, 13))
    chunks = list(
        cdr_reports.export_lines(
            cdrs=Cdr.objects.all(),
            criteria=CdrCriteria(
                since=dt.date(2026, 11, 18), until=dt.date(2026, 11, 18)
            ),
            team_names={team_a.pk: "Team A"},
        )
    )
    lines = "".join(chunks).splitlines()
    assert lines[0].startswith("uuid,start_time")
    uuids = [line.split(",")[0] for line in lines[1:]]
    assert len(uuids) == len(set(uuids)) == 23
    assert set(uuids) == {str(u) for u in Cdr.objects.values_list("uuid", flat=True)}
    assert len(chunks) == 1 + 4  # header, then ceil(23 / 7) batches
    assert ",Team A," in lines[1]
