"""Retention: prune the API call log and the monitoring history, in small batches."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from monitoring.choices import DeliveryStatus
from monitoring.models import Delivery, Notification, SyntheticCheck
from sync.models import ApiCall

PRUNE_BATCH = 5000


def _delete_in_batches(queryset: QuerySet[Any], batch: int) -> int:
    """Delete what `queryset` selects, `batch` rows per statement.

    Batches keep each delete short, so the table stays writable for the client
    and no single transaction grows large.
    """
    deleted = 0
    while True:
        ids = list(queryset.order_by("pk").values_list("pk", flat=True)[:batch])
        if not ids:
            return deleted
        deleted += queryset.model.objects.filter(pk__in=ids).delete()[0]


def apicalls_prune(
    *, now: dt.datetime | None = None, days: int | None = None, batch: int = PRUNE_BATCH
) -> int:
    """Delete API call rows older than the retention period, in small batches."""
    now = now or timezone.now()
    keep = days if days is not None else settings.API_CALL_RETENTION_DAYS
    cutoff = now - dt.timedelta(days=keep)
    return _delete_in_batches(ApiCall.objects.filter(created_at__lt=cutoff), batch)


def history_prune(
    *, now: dt.datetime | None = None, days: int | None = None, batch: int = PRUNE_BATCH
) -> dict[str, int]:
    """Delete old notifications, finished alert deliveries and synthetic checks.

    Alerts themselves are kept (one row per incident, the monitoring history);
    a delivery still being retried is kept however old, so no retry is lost.
    """
    now = now or timezone.now()
    keep = days if days is not None else settings.MONITORING_HISTORY_DAYS
    cutoff = now - dt.timedelta(days=keep)
    finished = [DeliveryStatus.SENT, DeliveryStatus.FAILED]
    return {
        "notifications": _delete_in_batches(
            Notification.objects.filter(created_at__lt=cutoff), batch
        ),
        "deliveries": _delete_in_batches(
            Delivery.objects.filter(created_at__lt=cutoff, status__in=finished), batch
        ),
        "synthetic_checks": _delete_in_batches(
            SyntheticCheck.objects.filter(started_at__lt=cutoff), batch
        ),
    }
