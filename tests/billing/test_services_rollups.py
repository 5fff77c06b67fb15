"""Rebuilding the daily rollups from the raw rows, one day at a time."""

from __future__ import annotations

import datetime as dt

import pytest

from billing.models import Cdr, CdrDailyRollup
from billing.services.cdr_ingest import ingest_cdrs, parse_cdr
from billing.services.rollups import rollups_rebuild
from tests.billing.cdr_data import cdr_batch

pytestmark = pytest.mark.django_db


@pytest.fixture
def owners(team_a, team_b):
    return {team_a.auth_id: team_a.pk, team_b.auth_id: team_b.pk}


def parsed(raws, provider, owners):
    return [parse_cdr(r, provider_id=provider.pk, owners=owners) for r in raws]


def test_rebuild_replaces_only_the_days_named(provider, owners, team_a):
    first = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=4)
    raws = cdr_batch(account_ids=[team_a.auth_id], days=2, per_day=6, first_day=first)
    ingest_cdrs(provider_id=provider.pk, rows=parsed(raws, provider, owners))
    before = {r.day: r.calls for r in CdrDailyRollup.objects.all()}
    Cdr.objects.filter(start_time__date=first).delete()
    rollups_rebuild(provider_id=provider.pk, days=[first])
    after = {r.day: r.calls for r in CdrDailyRollup.objects.all()}
    assert first not in after
    assert after[first + dt.timedelta(days=1)] == before[first + dt.timedelta(days=1)]
