"""Retention: the API call log and the monitoring history are pruned in batches;
alerts and deliveries still being retried stay."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from monitoring import services, tasks
from monitoring.models import (
    Delivery,
    Notification,
    NotificationChannel,
    SyntheticCheck,
)
from sync.models import ApiCall
from tests.monitoring.conftest import api_calls

pytestmark = pytest.mark.django_db


def test_rows_past_the_retention_period_are_deleted_in_batches(provider, settings):
    settings.API_CALL_RETENTION_DAYS = 30
    now = timezone.now()
    api_calls(provider, 5, at=now - dt.timedelta(days=31))
    api_calls(provider, 3, at=now - dt.timedelta(days=29))
    with CaptureQueriesContext(connection) as ctx:
        deleted = services.apicalls_prune(now=now, batch=2)
    assert deleted == 5
    assert ApiCall.objects.count() == 3
    deletes = [q for q in ctx.captured_queries if q["sql"].startswith("DELETE")]
    assert len(deletes) == 3  # 2 + 2 + 1


def old_and_new_history(provider, user, now, age_days):
    """One row of each pruned kind at `age_days` old; return the channel."""
    at = now - dt.timedelta(days=age_days)
    channel, _ = NotificationChannel.objects.get_or_create(
        name="Ops", kind="email", email_to="ops@example.com"
    )
    Notification.objects.create(user=user, title=f"{age_days}d", created_at=at)
    for status in ("sent", "failed", "retrying"):
        Delivery.objects.create(
            channel=channel, event="test", status=status, created_at=at
        )
    SyntheticCheck.objects.create(
        provider_account=provider,
        started_at=at,
        from_number="+918000000001",
        to_number="+918000000002",
    )


def test_old_notifications_deliveries_and_checks_go_alerts_stay(
    provider, lead_a, settings
):
    settings.MONITORING_HISTORY_DAYS = 90
    now = timezone.now()
    old_and_new_history(provider, lead_a, now, 91)
    old_and_new_history(provider, lead_a, now, 89)
    assert services.history_prune(now=now, batch=1) == {
        "notifications": 1,
        "deliveries": 2,  # the one still retrying stays, however old
        "synthetic_checks": 1,
    }
    assert list(Notification.objects.values_list("title", flat=True)) == ["89d"]
    assert Delivery.objects.count() == 4
    assert SyntheticCheck.objects.count() == 1
    assert tasks.history_prune.run() == {
        "notifications": 0,
        "deliveries": 0,
        "synthetic_checks": 0,
    }
