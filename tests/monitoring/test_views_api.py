"""The API health page and the API request log: roles, htmx, filters, paging
and query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from sync.clients import breaker_key
from sync.models import ApiCall, SyncState
from tests.conftest import MAX_LIST_QUERIES, count_queries
from tests.monitoring.conftest import api_calls

pytestmark = pytest.mark.django_db

HEALTH = reverse("monitoring:health")
LOG = reverse("monitoring:apicall_list")


@pytest.mark.parametrize("url", [HEALTH, LOG])
@pytest.mark.parametrize("persona", ["as_finance", "as_lead_a", "as_viewer_a"])
def test_only_admins_may_open(url, persona, request):
    assert request.getfixturevalue(persona).get(url).status_code == 403


@pytest.mark.parametrize("url", [HEALTH, LOG])
def test_signed_out_visitors_are_sent_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/login/" in response["Location"]


# --- health -------------------------------------------------------------------


def test_health_shows_rates_latency_errors_breakers_and_sync_lag(as_admin, provider):
    api_calls(provider, 18, duration_ms=100)
    api_calls(provider, 2, outcome="error", status=503, error_code="SERVICE_DOWN")
    api_calls(provider, 1, outcome="token_refresh", status=401)
    cache.set(
        breaker_key(provider),
        {
            "state": "open",
            "failures": 0,
            "opened_at": timezone.now().timestamp(),
            "open_for": 30,
        },
        None,
    )
    SyncState.objects.create(
        provider_account=provider,
        kind="cdrs",
        last_success_at=timezone.now() - dt.timedelta(minutes=7),
    )
    response = as_admin.get(HEALTH)
    assert response.status_code == 200
    page = response.content.decode()
    totals = response.context["totals"]
    assert (totals.total, totals.failed, totals.token_refreshes) == (20, 2, 1)
    assert "10.0%" in page and "SERVICE_DOWN" in page
    assert "/Account/{auth_id}/cdr" in page
    assert response.context["breakers"][0].state == "open"
    assert ">open<" in page
    [sync] = response.context["syncs"]
    assert 6 * 60 < sync.lag.total_seconds() < 8 * 60
    assert "7m" in page


def test_the_24_hour_window_includes_older_calls(as_admin, provider):
    api_calls(provider, 3, at=timezone.now() - dt.timedelta(hours=5))
    assert as_admin.get(HEALTH).context["totals"].total == 0
    assert as_admin.get(HEALTH, {"window": "24h"}).context["totals"].total == 3


def test_an_unknown_window_falls_back_to_one_hour(as_admin, provider):
    assert as_admin.get(HEALTH, {"window": "5y"}).context["window"] == "1h"


def test_health_htmx_gets_only_the_stats(as_admin, provider, htmx_headers):
    response = as_admin.get(HEALTH, {"window": "24h"}, **htmx_headers)
    assert b"<html" not in response.content and b"Endpoints" in response.content
    assert b"Circuit breakers" not in response.content
    full = as_admin.get(HEALTH)
    assert b"<html" in full.content and b"Circuit breakers" in full.content


# --- request log --------------------------------------------------------------


def test_the_log_lists_every_field(as_admin, provider, team_a):
    api_calls(provider, 1, sub_account=team_a, status=429, outcome="rate_limited")
    call = ApiCall.objects.get()
    page = as_admin.get(LOG).content.decode()
    for text in (
        "GET",
        call.path_template,
        "429",
        "rate_limited",
        call.request_id,
        "Team A",
    ):
        assert text in page


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"outcome": "error"}, 2),
        ({"status_class": "5xx"}, 2),
        ({"status_class": "2xx"}, 3),
        ({"status_class": "none"}, 2),
        ({"endpoint": "/Account/{auth_id}/Call/"}, 1),
        ({"sub_account": "TEAM"}, 1),
        ({"since": "YESTERDAY", "until": "YESTERDAY"}, 1),
    ],
)
def test_filters_narrow_the_log(as_admin, provider, team_a, params, expected):
    at = timezone.localtime().replace(hour=10, minute=0)
    api_calls(provider, 3, at=at)
    api_calls(provider, 2, outcome="error", status=500, at=at)
    api_calls(provider, 1, outcome="circuit_open", status=None, at=at)
    api_calls(
        provider,
        1,
        at=at - dt.timedelta(days=1),
        path="/Account/{auth_id}/Call/",
        sub_account=team_a,
        status=None,
        outcome="retry",
    )
    if params.get("sub_account") == "TEAM":
        params = {"sub_account": team_a.pk}
    if params.get("since") == "YESTERDAY":
        day = (at - dt.timedelta(days=1)).date().isoformat()
        params = {"since": day, "until": day}
    response = as_admin.get(LOG, params)
    assert len(response.context["page"].items) == expected


def test_a_bad_filter_value_shows_an_error_and_filters_nothing_away(as_admin, provider):
    api_calls(provider, 2)
    response = as_admin.get(LOG, {"outcome": "exploded"})
    assert response.status_code == 200
    assert response.context["filter"].errors["outcome"]


def test_the_log_pages_older_and_newer_without_overlap(as_admin, provider):
    api_calls(provider, 60, spread_seconds=600)
    first = as_admin.get(LOG).context["page"]
    assert len(first.items) == 50 and first.older and not first.newer
    second = as_admin.get(LOG, {"cursor": first.older}).context["page"]
    assert len(second.items) == 10 and second.newer
    assert not {c.pk for c in first.items} & {c.pk for c in second.items}


def test_the_log_htmx_gets_only_rows(as_admin, provider, htmx_headers):
    api_calls(provider, 1)
    response = as_admin.get(LOG, **htmx_headers)
    assert b"<html" not in response.content and b"<table" in response.content
    assert b"filter-bar" not in response.content
    assert "HX-Request" in response["Vary"]
    assert b"filter-bar" in as_admin.get(LOG).content


def test_the_log_says_when_nothing_matches(as_admin, provider):
    assert b"No API requests match" in as_admin.get(LOG).content


def test_the_log_query_count_does_not_grow_with_rows(
    as_admin, provider, team_a, team_b
):
    api_calls(provider, 3, sub_account=team_a)
    small = count_queries(lambda: as_admin.get(LOG))
    api_calls(provider, 40, sub_account=team_b, path="/Account/{auth_id}/trunks")
    big = count_queries(lambda: as_admin.get(LOG))
    assert small == big <= MAX_LIST_QUERIES


def test_the_health_query_count_does_not_grow_with_rows(as_admin, provider):
    api_calls(provider, 3)
    small = count_queries(lambda: as_admin.get(HEALTH))
    api_calls(
        provider, 40, path="/Account/{auth_id}/trunks", outcome="error", status=500
    )
    big = count_queries(lambda: as_admin.get(HEALTH))
    assert small == big <= MAX_LIST_QUERIES


def test_health_shows_each_accounts_latest_test_call(as_admin, provider):
    from monitoring.models import SyntheticCheck

    for minutes, ok in ((30, True), (2, False)):
        SyntheticCheck.objects.create(
            provider_account=provider,
            started_at=timezone.now() - dt.timedelta(minutes=minutes),
            ok=ok,
            error="" if ok else "No CDR appeared for call u1.",
            from_number="+918000000001",
            to_number="+918000000002",
        )
    response = as_admin.get(HEALTH)
    [breaker] = response.context["breakers"]
    assert breaker.provider.check_ok is False
    assert b"No CDR appeared for call u1." in response.content
