"""The billing syncs: typed balance and ledger payloads, the nightly rollup check."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db.models import F

from billing.models import (
    BalanceSnapshot,
    Cdr,
    CdrCauseRollup,
    CdrDailyRollup,
    Transaction,
)
from billing.services.cdr_ingest import ingest_raw_cdrs
from billing.sync import balance_snapshot, rollups_check, transactions_sync
from tests.billing.cdr_data import cdr_batch
from vobiz.typed import TypedClient

pytestmark = pytest.mark.django_db

DAYS = 3


@pytest.fixture
def first_day():
    return dt.datetime.now(dt.UTC).date() - dt.timedelta(days=DAYS)


@pytest.fixture
def stored(provider, team_a, team_b, first_day):
    """Three days of CDRs with their rollups, as the sync leaves them."""
    owners = {team_a.auth_id: team_a.pk, team_b.auth_id: team_b.pk}
    raws = cdr_batch(
        account_ids=list(owners), days=DAYS, per_day=25, first_day=first_day
    )
    ingest_raw_cdrs(provider_id=provider.pk, raws=raws, owners=owners)
    return raws


def snapshot():
    daily = CdrDailyRollup.objects.values_list(
        "day", "account_auth_id", "direction", "calls", "answered", "cost"
    )
    causes = CdrCauseRollup.objects.values_list(
        "day", "account_auth_id", "direction", "hangup_cause", "calls"
    )
    return sorted(daily), sorted(causes)


def test_rollups_that_agree_are_left_alone(provider, stored):
    before = snapshot()
    ids = sorted(CdrDailyRollup.objects.values_list("id", flat=True))
    assert rollups_check(provider=provider)["repaired_days"] == []
    assert snapshot() == before
    assert sorted(CdrDailyRollup.objects.values_list("id", flat=True)) == ids


@pytest.mark.parametrize(
    "damage",
    [
        lambda day: CdrDailyRollup.objects.filter(day=day).update(calls=F("calls") + 1),
        lambda day: CdrDailyRollup.objects.filter(day=day).update(
            cost=F("cost") + Decimal("0.00001")
        ),
        lambda day: CdrCauseRollup.objects.filter(day=day).delete(),
        lambda day: CdrDailyRollup.objects.filter(day=day).delete(),
    ],
    ids=["calls", "cost", "causes-missing", "daily-missing"],
)
def test_a_day_that_disagrees_is_rebuilt_and_only_it(
    provider, stored, first_day, damage
):
    good = snapshot()
    broken = first_day + dt.timedelta(days=1)
    damage(broken)
    assert snapshot() != good
    summary = rollups_check(provider=provider)
    assert summary["repaired_days"] == [broken.isoformat()]
    assert snapshot() == good


def test_rollups_of_rows_that_are_gone_are_removed(provider, stored, first_day):
    gone = first_day
    low = dt.datetime.combine(gone, dt.time.min, tzinfo=dt.UTC)
    Cdr.objects.filter(
        start_time__gte=low, start_time__lt=low + dt.timedelta(1)
    ).delete()
    assert rollups_check(provider=provider)["repaired_days"] == [gone.isoformat()]
    assert not CdrDailyRollup.objects.filter(day=gone).exists()
    assert not CdrCauseRollup.objects.filter(day=gone).exists()


def test_days_before_the_window_are_not_looked_at(provider, stored, first_day):
    CdrCauseRollup.objects.filter(day=first_day).delete()
    since = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    assert rollups_check(provider=provider, since=since)["repaired_days"] == []
    assert not CdrCauseRollup.objects.filter(day=first_day).exists()


# --- Balance and ledger: typed payloads, hardened values ---------------------------

NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)


class FakeVobiz:
    """A client answering the balance and ledger calls with fixed raw objects."""

    def __init__(self, *, balance=None, ledger=()):
        self.balance, self.ledger, self.asked = balance or {}, list(ledger), []

    def get_balance(self, currency):
        self.asked.append(currency)
        return self.balance

    def iter_transactions(self):
        return iter(self.ledger)

    @property
    def typed(self):
        return TypedClient(self)


@pytest.fixture
def vobiz(monkeypatch):
    fake = FakeVobiz()
    monkeypatch.setattr("billing.sync.client_for", lambda provider: fake)
    return fake


def test_the_balance_snapshot_stores_what_vobiz_says(provider, vobiz):
    vobiz.balance = {
        "currency": "INR",
        "balance": "1234.5",
        "available_balance": "1000",
        "reserved_funds": "234.5",
        "promotional_balance": "10",
        "credit_limit": "500",
        "credit_limit_type": "soft",
        "is_postpaid": True,
        "low_balance_threshold": "1500",
        "status": "active",
    }
    with time_machine.travel(NOW, tick=False):
        snapshot = balance_snapshot(provider=provider)
    assert vobiz.asked == [provider.currency]
    stored = BalanceSnapshot.objects.get()
    assert stored == snapshot and stored.taken_at == NOW
    assert (stored.balance, stored.available_balance, stored.reserved_funds) == (
        Decimal("1234.5"),
        Decimal("1000"),
        Decimal("234.5"),
    )
    assert (stored.credit_limit, stored.credit_limit_type, stored.is_postpaid) == (
        Decimal("500"),
        "soft",
        True,
    )
    assert stored.low_balance_threshold == Decimal("1500")
    assert (stored.currency, stored.status) == ("INR", "active")


def test_an_odd_balance_fits_and_falls_back_to_the_accounts_currency(provider, vobiz):
    vobiz.balance = {"balance": "NaN", "currency": "\x00", "status": "s\x00" * 40}
    snapshot = balance_snapshot(provider=provider)
    assert snapshot.currency == provider.currency
    assert snapshot.balance == 0 and snapshot.available_balance == 0
    assert snapshot.status == "s" * 16


def test_ledger_rows_without_an_id_are_skipped_and_odd_values_fit(provider, vobiz):
    vobiz.ledger = [
        {"id": "t-1", "type": "debit", "amount": "12.5", "currency": "USD"},
        {"id": "t-\x002", "type": "x" * 40, "amount": "1e30", "description": "a\x00b"},
        {"id": None, "amount": "1"},
        {"amount": "2"},
    ]
    with time_machine.travel(NOW, tick=False):
        assert transactions_sync(provider=provider) == {"seen": 4, "new": 2}
    first, odd = Transaction.objects.order_by("remote_id")
    assert (first.remote_id, first.amount, first.currency) == (
        "t-1",
        Decimal("12.5"),
        "USD",
    )
    assert (odd.remote_id, odd.type, odd.amount) == ("t-2", "x" * 16, 0)
    assert (odd.description, odd.currency) == ("ab", provider.currency)
    assert odd.remote_created_at == NOW  # no creation time: when it was first seen


def test_the_ledger_sync_stops_at_the_first_page_it_knows(provider, vobiz):
    vobiz.ledger = [
        {"id": f"t-{n:03d}", "amount": "1", "status": "pending"} for n in range(250)
    ]
    assert transactions_sync(provider=provider) == {"seen": 250, "new": 250}
    vobiz.ledger[0] = dict(vobiz.ledger[0], status="done")
    assert transactions_sync(provider=provider) == {"seen": 100, "new": 0}
    assert Transaction.objects.count() == 250
    assert Transaction.objects.get(remote_id="t-000").status == "done"
