"""`/metrics`: bearer-token auth, Prometheus text format, and the figures in it."""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from billing.models import BalanceSnapshot
from monitoring.models import Alert, SyntheticCheck
from sync.clients import breaker_key
from sync.models import SyncState
from tests.monitoring.conftest import api_calls, calls, ingest, seeded_rule

pytestmark = pytest.mark.django_db
URL = "/metrics"


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = secrets.token_urlsafe(24)
    return settings.METRICS_TOKEN


def scrape(token):
    response = Client().get(URL, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    families = text_string_to_metric_families(response.content.decode())
    return {f.name: f for f in families}, response


def value(families, name, sample_name=None, **labels):
    for sample in families[name].samples:
        if (sample_name is None or sample.name == sample_name) and all(
            sample.labels.get(k) == v for k, v in labels.items()
        ):
            return sample.value
    raise AssertionError(f"no sample {name} {labels}")


def test_without_a_configured_token_metrics_do_not_exist(settings):
    settings.METRICS_TOKEN = ""
    assert Client().get(URL, HTTP_AUTHORIZATION="Bearer anything").status_code == 404


def test_a_missing_token_is_401_with_a_bearer_challenge(token):
    response = Client().get(URL)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header", ["Bearer wrong", "Basic Zm9vOmJhcg==", "Bearer", "token-only"]
)
def test_a_wrong_token_is_401(token, header):
    assert Client().get(URL, HTTP_AUTHORIZATION=header).status_code == 401


def test_the_right_token_gets_prometheus_text(token, provider):
    families, response = scrape(token)
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    assert "vobiz_api_requests" in families
    assert provider.auth_token.reveal() not in response.content.decode()


def test_api_figures_per_endpoint_and_outcome(token, provider):
    api_calls(provider, 8, duration_ms=80)
    api_calls(provider, 2, outcome="error", status=500, duration_ms=3000)
    api_calls(
        provider, 3, outcome="rate_limited", status=429, error_code="RATE_LIMITED"
    )
    api_calls(provider, 1, outcome="token_refresh", status=401)
    # Outside the hour: not counted.
    api_calls(provider, 5, at=timezone.now() - dt.timedelta(hours=2))
    families, _ = scrape(token)
    path = "/Account/{auth_id}/cdr"
    assert value(families, "vobiz_api_requests", endpoint=path, outcome="ok") == 8
    assert value(families, "vobiz_api_requests", endpoint=path, outcome="error") == 2
    assert value(families, "vobiz_api_errors", code="RATE_LIMITED") == 3
    assert value(families, "vobiz_api_errors", code="HTTP 500") == 2
    assert value(families, "vobiz_api_token_refreshes") == 1
    assert value(families, "vobiz_api_rate_limited") == 3
    histogram = "vobiz_api_request_duration_seconds"
    assert families[histogram].type == "histogram"
    assert (
        value(families, histogram, f"{histogram}_bucket", endpoint=path, le="0.1") == 8
    )
    assert (
        value(families, histogram, f"{histogram}_bucket", endpoint=path, le="+Inf")
        == 14
    )
    assert value(
        families, "vobiz_api_latency_seconds", endpoint=path, quantile="0.5"
    ) == (pytest.approx(0.08))
    assert value(families, "vobiz_api_failure_ratio", endpoint=path) == pytest.approx(
        5 / 13
    )


def open_breaker_lagging_sync_low_balance_alert_and_check(provider, team_a):
    """An open breaker, a balance sync 90 s old, 700 INR available after 70 INR of
    calls yesterday, a firing balance alert and a passing synthetic check."""
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
        kind="balance",
        last_success_at=timezone.now() - dt.timedelta(seconds=90),
    )
    BalanceSnapshot.objects.create(
        provider_account=provider,
        taken_at=timezone.now(),
        currency="INR",
        balance=Decimal("700"),
        available_balance=Decimal("700"),
    )
    yesterday = timezone.now() - dt.timedelta(days=1)
    ingest(provider, calls(team_a, 10, yesterday.replace(hour=10), cost="7.00"))
    rule = seeded_rule("balance_low")
    Alert.objects.create(
        rule=rule,
        kind=rule.kind,
        dedup_key="x",
        subject="Acme",
        message="low",
        fired_at=timezone.now(),
        last_seen_at=timezone.now(),
    )
    SyntheticCheck.objects.create(
        provider_account=provider,
        started_at=timezone.now(),
        ok=True,
        pdd_seconds=1.5,
        from_number="+1",
        to_number="+2",
    )


def test_breaker_sync_lag_balance_alerts_and_synthetic(token, provider, team_a):
    open_breaker_lagging_sync_low_balance_alert_and_check(provider, team_a)
    families, _ = scrape(token)
    auth = provider.auth_id
    state = "vobiz_circuit_breaker_state"
    assert (
        value(families, state, provider=auth, vobiz_circuit_breaker_state="open") == 1
    )
    assert (
        value(families, state, provider=auth, vobiz_circuit_breaker_state="closed") == 0
    )
    assert value(families, "vobiz_sync_lag_seconds", provider=auth, kind="balance") == (
        pytest.approx(90, abs=5)
    )
    assert value(families, "vobiz_balance_available", provider=auth) == 700
    # 70 INR of calls yesterday: 10 INR a day over seven days, 70 days of runway.
    assert value(families, "vobiz_spend_per_day", provider=auth) == 10
    assert value(families, "vobiz_runway_days", provider=auth) == 70
    assert value(families, "vobiz_alerts_firing", kind="balance_low") == 1
    assert value(families, "vobiz_alerts_firing", kind="budget") == 0
    assert value(families, "vobiz_synthetic_call_success", provider=auth) == 1
    assert value(families, "vobiz_synthetic_call_pdd_seconds", provider=auth) == 1.5


def test_asr_and_acd_per_team(token, provider, team_a):
    start = timezone.now() - dt.timedelta(hours=3)
    ingest(
        provider,
        calls(team_a, 3, start, billsec=40) + calls(team_a, 1, start, answered=False),
    )
    families, _ = scrape(token)
    assert value(families, "vobiz_calls_24h", sub_account="Team A") == 4
    assert value(families, "vobiz_asr_24h", sub_account="Team A") == 0.75
    assert value(families, "vobiz_acd_seconds_24h", sub_account="Team A") == 40
