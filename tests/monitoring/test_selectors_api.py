"""API health reads: percentiles interpolate like PostgreSQL's percentile_cont, and
calls the breaker refused carry no latency."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from monitoring import selectors
from tests.monitoring.conftest import api_calls

pytestmark = pytest.mark.django_db


def test_percentiles_interpolate_like_percentile_cont(provider):
    for ms in (100, 200, 300, 400, 1000):
        api_calls(provider, 1, duration_ms=ms)
    now = timezone.now()
    [stats] = selectors.endpoint_stats(since=now - dt.timedelta(hours=1), until=now)
    assert stats.p50_ms == pytest.approx(300)
    assert stats.p95_ms == pytest.approx(880)


def test_refused_by_the_breaker_has_no_latency(provider):
    api_calls(provider, 4, duration_ms=500)
    api_calls(provider, 20, outcome="circuit_open", status=None, duration_ms=0)
    now = timezone.now()
    [stats] = selectors.endpoint_stats(since=now - dt.timedelta(hours=1), until=now)
    assert stats.p50_ms == pytest.approx(500)
    assert stats.failed == 20
