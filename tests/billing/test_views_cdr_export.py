"""CDR CSV export: streams every matching row in the user's scope, and is audited."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.http import StreamingHttpResponse
from django.urls import reverse

from accounts.models import AuditEvent
from billing.reports import cdr as cdr_reports
from tests.billing.report_data import bulk_cdrs

pytestmark = pytest.mark.django_db

URL = reverse("billing:cdr_export")
NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def calls(provider, team_a, team_b):
    start = NOW - dt.timedelta(days=1)
    bulk_cdrs(provider, team_a, count=30, start=start, step_seconds=0)
    bulk_cdrs(provider, team_a, count=17, start=start + dt.timedelta(hours=1))
    bulk_cdrs(provider, team_b, count=11, start=start, direction="inbound")
    bulk_cdrs(provider, team_b, count=5, start=NOW - dt.timedelta(days=20))


def rows_of(response):
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_finance_export_streams_every_matching_row(as_finance, calls, monkeypatch):
    monkeypatch.setattr(cdr_reports, "EXPORT_BATCH", 10)
    response = as_finance.get(URL)
    assert response["Content-Type"] == "text/csv"
    assert "cdrs-2026-11-14-2026-11-20.csv" in response["Content-Disposition"]
    rows = rows_of(response)
    assert len(rows) == 58 and len({r["uuid"] for r in rows}) == 58
    assert [r["start_time"] for r in rows] == sorted(r["start_time"] for r in rows)
    assert rows[0]["start_time"] == "2026-11-19T12:00:00Z"
    assert rows[0]["answer_time"] == "2026-11-19T12:00:04Z"
    assert rows[0]["end_time"] == ""
    assert rows[0]["cost"] == "0.45000" and rows[0]["account_id"].startswith("SA_")


def test_export_applies_the_filter_and_audits_it(as_finance, calls, team_b):
    params = {"sub_account": team_b.pk, "direction": "outbound", "since": "2026-10-25"}
    rows = rows_of(as_finance.get(URL, params))
    assert len(rows) == 5 and {r["sub_account"] for r in rows} == {"Team B"}
    assert {r["direction"] for r in rows} == {"outbound"}
    event = AuditEvent.objects.get(action="cdr.export")
    assert event.sub_account_id == team_b.pk
    assert event.after == {
        "filters": {
            "since": "2026-10-25",
            "until": "2026-11-20",
            "sub_account_id": team_b.pk,
            "direction": "outbound",
        }
    }


def test_lead_exports_only_own_team(as_lead_b, calls):
    rows = rows_of(as_lead_b.get(URL))
    assert len(rows) == 11 and {r["sub_account"] for r in rows} == {"Team B"}
    assert (
        AuditEvent.objects.get(action="cdr.export").actor_label == "lead.b@example.com"
    )


def test_lead_asking_for_other_team_gets_400_and_nothing(as_lead_b, calls, team_a):
    response = as_lead_b.get(URL, {"sub_account": team_a.pk})
    assert response.status_code == 400
    assert not isinstance(response, StreamingHttpResponse)
    assert not AuditEvent.objects.exists()


def test_bad_filter_is_refused_without_audit(as_finance, calls):
    assert as_finance.get(URL, {"min_duration": "-1"}).status_code == 400
    assert not AuditEvent.objects.exists()
