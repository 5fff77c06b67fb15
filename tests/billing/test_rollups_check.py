"""The nightly rollup check: days whose rollups disagree with the raw rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import F

from billing.ingest import ingest_raw_cdrs
from billing.models import Cdr, CdrCauseRollup, CdrDailyRollup
from billing.sync import rollups_check
from tests.billing.cdr_data import cdr_batch

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
