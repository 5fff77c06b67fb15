"""The CDR report: scoped totals, filters, partials, paging and query counts."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from accounts.models import AuditEvent
from billing.models import Cdr
from billing.selectors.scope import trunk_choices
from tests.billing.report_data import bulk_cdrs
from tests.conftest import MAX_LIST_QUERIES, count_queries
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = reverse("billing:cdr_report")
NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
A_NUMBER = "+911111111111"


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def fresh_trunk_choices():
    """Forget trunk choices cached by earlier tests (only our own keys)."""
    from django.core.cache import cache

    cache.delete_many(["billing:trunks:all", "billing:trunks:"])
    yield
    cache.delete_many(["billing:trunks:all", "billing:trunks:"])


@pytest.fixture
def calls(provider, team_a, team_b):
    """Three calls of team A and two of team B yesterday; one of A ten days ago."""
    yesterday = NOW - dt.timedelta(days=1)
    a = bulk_cdrs(provider, team_a, count=3, start=yesterday, from_number=A_NUMBER)
    b = bulk_cdrs(provider, team_b, count=2, start=yesterday, direction="inbound")
    old = bulk_cdrs(provider, team_a, count=1, start=NOW - dt.timedelta(days=10))
    return {"a": a, "b": b, "old": old}


def test_finance_sees_every_team_for_the_last_seven_days(as_finance, calls):
    response = as_finance.get(URL)
    assert response.status_code == 200
    report = response.context["report"]
    assert (report.criteria.since, report.criteria.until) == (
        dt.date(2026, 11, 14),
        dt.date(2026, 11, 20),
    )
    assert report.totals.calls == 5
    assert report.source == "rollups"
    assert b"<html" in response.content and b"report-totals" in response.content


def test_lead_b_sees_only_team_b(as_lead_b, calls):
    response = as_lead_b.get(URL)
    report = response.context["report"]
    assert report.totals.calls == 2
    assert {c.sub_account.name for c in report.page.items} == {"Team B"}
    assert A_NUMBER.encode() not in response.content
    assert b"Team A" not in response.content


def test_lead_b_filtering_by_team_a_gets_an_error_and_no_figures(
    as_lead_b, calls, team_a
):
    response = as_lead_b.get(URL, {"sub_account": team_a.pk})
    assert response.status_code == 400
    assert response.context["report"] is None
    assert b"Select a valid choice" in response.content
    assert A_NUMBER.encode() not in response.content


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"since": "2026-13-45"}, b"Enter a valid date"),
        ({"since": "2026-11-10", "until": "2026-11-01"}, b"end date is before"),
        ({"since": "2020-01-01", "until": "2026-11-01"}, b"at most 731 days"),
        ({"min_duration": "-5"}, b"greater than or equal to 0"),
        ({"sub_account": "999999"}, b"Select a valid choice"),
        ({"from_number": "abc"}, b"digits only"),
        ({"hangup_cause": "no answer!"}, b"hangup cause such as"),
    ],
)
def test_bad_input_gets_a_clear_error(as_finance, calls, params, message):
    response = as_finance.get(URL, params)
    assert response.status_code == 400
    assert message in response.content
    assert response.context["report"] is None


def test_member_without_team_sees_nothing(client, calls):
    loner = UserFactory(email="loner@example.com")
    client.force_login(loner)
    report = client.get(URL).context["report"]
    assert report.totals.calls == 0 and report.page.items == []


def test_raw_only_filters_read_raw_rows_within_the_range(as_finance, calls):
    response = as_finance.get(URL, {"from_number": "1111111"})
    report = response.context["report"]
    assert report.source == "raw"
    assert report.totals.calls == 3  # team A's old call is outside the range


def test_direction_and_duration_filters(as_finance, calls, provider, team_a):
    bulk_cdrs(provider, team_a, count=2, start=NOW - dt.timedelta(hours=2), duration=5)
    inbound = as_finance.get(URL, {"direction": "inbound"}).context["report"]
    assert inbound.totals.calls == 2
    longer = as_finance.get(URL, {"min_duration": 60}).context["report"]
    assert longer.totals.calls == 5


def test_htmx_request_gets_only_the_report(as_finance, calls, htmx_headers):
    response = as_finance.get(URL, {"direction": "inbound"}, **htmx_headers)
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert b"report-totals" in response.content
    assert b'id="cdr-filter"' not in response.content
    assert response["Vary"] == "HX-Request" or "HX-Request" in response["Vary"]


def test_htmx_pager_gets_only_the_rows(as_finance, calls, htmx_headers):
    response = as_finance.get(URL, HTTP_HX_TARGET="rows", **htmx_headers)
    assert b"cdr-table" in response.content
    assert b"report-totals" not in response.content
    assert response.context["report"] is None


def test_htmx_errors_are_swapped_in_with_200(as_finance, calls, htmx_headers):
    response = as_finance.get(URL, {"since": "nope"}, **htmx_headers)
    assert response.status_code == 200
    assert b"Fix the filter" in response.content


def test_every_row_is_seen_once_through_the_pages(as_finance, provider, team_a):
    start = NOW - dt.timedelta(days=2)
    # Ties on start_time across page boundaries are the hard case.
    bulk_cdrs(provider, team_a, count=60, start=start, step_seconds=0)
    bulk_cdrs(provider, team_a, count=65, start=start + dt.timedelta(minutes=1))
    seen, cursor, pages = [], None, 0
    while True:
        params = {"cursor": cursor} if cursor else {}
        page = as_finance.get(URL, params).context["page"]
        seen += [c.pk for c in page.items]
        pages += 1
        if not page.older:
            break
        cursor = page.older
    assert pages == 3
    assert sorted(seen) == sorted(Cdr.objects.values_list("pk", flat=True))
    assert len(seen) == len(set(seen)) == 125
    back = as_finance.get(URL, {"cursor": page.newer}).context["page"]
    assert len(back.items) == 50


def _queries(client, params):
    return count_queries(lambda: client.get(URL, params))


@pytest.mark.parametrize(
    "params", [{}, {"hangup_cause": "NORMAL_CLEARING", "min_duration": 10}]
)
def test_query_count_does_not_grow_with_rows(
    as_finance, as_lead_a, provider, team_a, team_b, params
):
    start = NOW - dt.timedelta(days=3)
    bulk_cdrs(provider, team_a, count=10, start=start)
    _queries(as_finance, params), _queries(as_lead_a, params)  # warm the trunk list
    small = (_queries(as_finance, params), _queries(as_lead_a, params))
    bulk_cdrs(provider, team_b, count=5_000, start=start, step_seconds=20)
    bulk_cdrs(provider, team_a, count=4_990, start=start, step_seconds=20)
    large = (_queries(as_finance, params), _queries(as_lead_a, params))
    assert small == large
    assert max(large) <= MAX_LIST_QUERIES


def test_detail_shows_own_team_call(as_viewer_a, calls):
    cdr = calls["a"][0]
    response = as_viewer_a.get(reverse("billing:cdr_detail", args=[cdr.pk]))
    assert response.status_code == 200
    assert str(cdr.uuid).encode() in response.content


def test_detail_of_other_team_is_404(as_lead_b, calls):
    cdr = calls["a"][0]
    response = as_lead_b.get(reverse("billing:cdr_detail", args=[cdr.pk]))
    assert response.status_code == 404


def test_detail_of_unknown_call_is_404(as_finance, calls):
    assert (
        as_finance.get(reverse("billing:cdr_detail", args=[999999])).status_code == 404
    )


def test_report_does_not_write_audit_events(as_finance, calls):
    as_finance.get(URL)
    assert not AuditEvent.objects.exists()


def test_trunk_filter_reads_raw_rows_of_that_trunk(
    as_finance, as_lead_b, provider, team_a, team_b
):
    from django.core.cache import cache

    from trunks.models import Trunk

    Trunk.objects.create(
        provider_account=provider, sub_account=team_a, remote_id="trk_a", name="Desk"
    )
    cache.delete(f"billing:trunks:{team_b.pk}")
    start = NOW - dt.timedelta(days=1)
    bulk_cdrs(provider, team_a, count=4, start=start, trunk_remote_id="trk_a")
    bulk_cdrs(provider, team_a, count=3, start=start)
    response = as_finance.get(URL, {"trunk": "trk_a"})
    report = response.context["report"]
    assert report.source == "raw" and report.totals.calls == 4
    assert b"Desk" in response.content
    # Team B's lead has no such trunk to choose: refused, nothing shown.
    refused = as_lead_b.get(URL, {"trunk": "trk_a"})
    assert refused.status_code == 400 and refused.context["report"] is None
    assert trunk_choices([team_b.pk]) == []
