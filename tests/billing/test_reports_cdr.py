"""CDR report building blocks: rollups against raw rows, derived figures, export."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest

from billing.filters import CdrCriteria
from billing.models import Cdr, CdrCauseRollup
from billing.reports import cdr as cdr_reports
from billing.selectors.scope import scoped_cdrs, scoped_rollups
from billing.services.rollups import rollups_rebuild
from tests.billing.report_data import at, bulk_cdrs, ingest_batch

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

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
