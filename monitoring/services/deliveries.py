"""Deliver alert events to channels: e-mail and signed webhooks, with retries.

Each event for each channel is one `Delivery` row. The first attempt runs in a
task queued when the alert's transaction commits; failed attempts that may pass
later are retried with backoff by a sweep that runs every minute, and a delivery
whose task got lost is picked up by the same sweep. A row is claimed (its
`next_attempt_at` moved forward) before sending, so two workers never send the
same attempt.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import smtplib
from functools import partial
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.leases import row_claim
from monitoring.choices import ChannelKind, DeliveryEvent, DeliveryStatus
from monitoring.models import Alert, Delivery, NotificationChannel
from monitoring.services import webhooks

# Named as before the move to services/, so log filters keep matching.
logger = logging.getLogger("monitoring.channels")

# Waits after the 1st, 2nd and 3rd failed attempt; the 4th failure is final.
BACKOFF_SECONDS = (60, 300, 900)
MAX_ATTEMPTS = len(BACKOFF_SECONDS) + 1
# How long a claimed delivery is left alone while one worker sends it.
CLAIM_SECONDS = 120
# A pending delivery older than this lost its task; the sweep sends it.
ORPHAN_SECONDS = 120
# The states in which a delivery still has an attempt to make.
UNFINISHED = (DeliveryStatus.PENDING, DeliveryStatus.RETRYING)


def alert_text(alert: Alert | None, event: str) -> str:
    """Return the one-line summary used as e-mail subject and webhook `text`."""
    if alert is None:
        return "[TEST] Test notification from the Vobiz Team Portal"
    label = "FIRING" if event == DeliveryEvent.FIRED else "RESOLVED"
    return f"[{label}] {alert.get_kind_display()} — {alert.subject}: {alert.message}"


def _alert_url(alert: Alert) -> str:
    base: str = settings.PORTAL_BASE_URL
    return base.rstrip("/") + alert.get_absolute_url()


def payload(delivery: Delivery, now: dt.datetime) -> dict[str, Any]:
    """Return the JSON a webhook receives; `text` makes it Slack-compatible."""
    alert = delivery.alert
    body: dict[str, Any] = {
        "text": alert_text(alert, delivery.event),
        "event": delivery.event,
        "delivery_id": delivery.pk,
        "sent_at": now.isoformat(),
        "alert": None,
    }
    if alert is not None:
        body["alert"] = {
            "id": alert.pk,
            "kind": alert.kind,
            "state": alert.state,
            "severity": alert.severity,
            "subject": alert.subject,
            "message": alert.message,
            "value": alert.value,
            "sub_account": alert.sub_account.name if alert.sub_account else None,
            "fired_at": alert.fired_at.isoformat(),
            "resolved_at": alert.resolved_at.isoformat() if alert.resolved_at else None,
            "url": _alert_url(alert),
        }
    return body


def _send_email(delivery: Delivery, now: dt.datetime) -> webhooks.PostResult:
    channel, alert = delivery.channel, delivery.alert
    if not channel.recipients:
        return webhooks.PostResult(None, "No recipients.", 0.0, final=True)
    lines = [alert_text(alert, delivery.event), ""]
    if alert is not None:
        lines += [alert.message, "", f"Details: {_alert_url(alert)}"]
    try:
        send_mail(
            subject=alert_text(alert, delivery.event)[:200],
            message="\n".join(lines),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=channel.recipients,
        )
    except (smtplib.SMTPException, OSError) as exc:
        return webhooks.PostResult(None, type(exc).__name__, 0.0)
    return webhooks.PostResult(250, "", 0.0)


def _send_webhook(delivery: Delivery, now: dt.datetime) -> webhooks.PostResult:
    channel = delivery.channel
    if not channel.url or not channel.secret:
        return webhooks.PostResult(None, "No URL or secret.", 0.0, final=True)
    body = json.dumps(payload(delivery, now), separators=(",", ":")).encode()
    previous = (
        channel.previous_secret.reveal()
        if channel.previous_secret_active(now)
        else None
    )
    return webhooks.post(
        channel.url.reveal(),
        body,
        secret=channel.secret.reveal(),
        delivery_id=delivery.pk,
        event=delivery.event,
        previous_secret=previous,
    )


def _attempt(delivery: Delivery, now: dt.datetime) -> webhooks.PostResult:
    if not delivery.channel.enabled:
        return webhooks.PostResult(None, "Channel is disabled.", 0.0, final=True)
    if delivery.channel.kind == ChannelKind.EMAIL:
        return _send_email(delivery, now)
    return _send_webhook(delivery, now)


def _record(
    delivery: Delivery, result: webhooks.PostResult, now: dt.datetime, *, retry: bool
) -> Delivery:
    delivery.attempts += 1
    delivery.response_status = result.status
    delivery.last_error = result.error[:500]
    delivery.attempt_log = [
        *delivery.attempt_log,
        {
            "at": now.isoformat(),
            "status": result.status,
            "error": result.error[:200],
            "ms": result.duration_ms,
        },
    ]
    if result.ok:
        delivery.status, delivery.sent_at = DeliveryStatus.SENT, now
        delivery.next_attempt_at = None
    elif retry and result.retryable and delivery.attempts < MAX_ATTEMPTS:
        wait = BACKOFF_SECONDS[delivery.attempts - 1]
        delivery.status = DeliveryStatus.RETRYING
        delivery.next_attempt_at = now + dt.timedelta(seconds=wait)
    else:
        delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
    delivery.save()
    return delivery


def _claim(delivery_id: int, now: dt.datetime) -> Delivery | None:
    """Take a delivery that is due, or return None if it is not (or taken).

    A delivery is due when it is unfinished and its `next_attempt_at` is empty
    or past. Taking it pushes `next_attempt_at` `CLAIM_SECONDS` ahead in one
    conditional UPDATE (`core.leases.row_claim`): of two workers only one sees
    its update land, and a worker killed mid-send frees the row when the claim
    runs out (the sweep then sends it again).
    """
    unfinished = Delivery.objects.filter(pk=delivery_id, status__in=UNFINISHED)
    taken = row_claim(
        unfinished, seconds=CLAIM_SECONDS, until_field="next_attempt_at", now=now
    )
    if not taken:
        return None
    # None if its channel was deleted in between (the delivery went with it).
    related = Delivery.objects.select_related("channel", "alert__sub_account")
    return related.filter(pk=delivery_id).first()


def delivery_send(
    *, delivery_id: int, now: dt.datetime | None = None
) -> Delivery | None:
    """Make the next attempt of a delivery if it is due; return it, or None."""
    now = now or timezone.now()
    delivery = _claim(delivery_id, now)
    if delivery is None:
        return None
    result = _attempt(delivery, now)
    if not result.ok:
        logger.warning(
            "alert delivery failed",
            extra={"delivery_id": delivery.pk, "error": result.error[:200]},
        )
    return _record(delivery, result, now, retry=True)


def deliveries_due(now: dt.datetime) -> list[int]:
    """Return the ids of deliveries to send now: retries due and orphans."""
    orphaned = Q(
        status=DeliveryStatus.PENDING,
        next_attempt_at__isnull=True,
        created_at__lte=now - dt.timedelta(seconds=ORPHAN_SECONDS),
    )
    # Past, as `_claim` takes it (`row_claim` frees a row strictly after its time).
    due = Q(status__in=UNFINISHED, next_attempt_at__lt=now)
    return list(
        Delivery.objects.filter(orphaned | due)
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:500]
    )


def deliveries_retry(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Send every delivery that is due; return how many were sent and failed."""
    now = now or timezone.now()
    counts = {"sent": 0, "retrying": 0, "failed": 0}
    for delivery_id in deliveries_due(now):
        delivery = delivery_send(delivery_id=delivery_id, now=now)
        if delivery is not None:
            counts[str(delivery.status)] = counts.get(str(delivery.status), 0) + 1
    return counts


def deliveries_create(*, alert: Alert, event: str, now: dt.datetime) -> list[Delivery]:
    """Create one delivery per enabled channel and send each after commit."""
    channels = NotificationChannel.objects.filter(enabled=True)
    deliveries = Delivery.objects.bulk_create(
        [
            Delivery(channel=c, alert=alert, event=event, created_at=now)
            for c in channels
        ]
    )
    for delivery in deliveries:
        transaction.on_commit(partial(_enqueue, delivery.pk))
    return deliveries


def _enqueue(delivery_id: int) -> None:
    # Imported here: the tasks module imports the services.
    from monitoring.tasks import delivery_send as task

    try:
        task.delay(delivery_id)
    except Exception:
        # The broker is down: the minute sweep sends orphaned deliveries.
        logger.exception("could not queue alert delivery %s", delivery_id)


def channel_send_test(
    *, channel: NotificationChannel, now: dt.datetime | None = None
) -> Delivery:
    """Send a test message to a channel now, once, and log it as a delivery."""
    now = now or timezone.now()
    delivery = Delivery.objects.create(
        channel=channel, event=DeliveryEvent.TEST, created_at=now
    )
    result = _attempt(delivery, now)
    return _record(delivery, result, now, retry=False)
