"""Writes of the monitoring app: alert evaluation, rules, channels, notifications,
and the API call log's retention."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.audit import audit_record, snapshot
from accounts.choices import GlobalRole, MembershipRole
from accounts.models import Membership, SubAccount, User, require_admin
from monitoring import channels, rules
from monitoring.choices import (
    FINANCE_KINDS,
    AlertState,
    ChannelKind,
    DeliveryEvent,
    DeliveryStatus,
)
from monitoring.models import (
    Alert,
    AlertRule,
    Delivery,
    Notification,
    NotificationChannel,
    SyntheticCheck,
)
from monitoring.webhooks import validate_webhook_url
from sync.models import ApiCall, ProviderAccount
from sync.requests import sync_enqueue

logger = logging.getLogger("monitoring.alerts")

EVALUATE_LEASE_KEY = "monitoring:alerts-evaluate"
EVALUATE_LEASE_SECONDS = 55
RULE_FIELDS = (
    "kind",
    "name",
    "sub_account",
    "threshold",
    "min_count",
    "window_minutes",
    "cooldown_minutes",
    "enabled",
)
EDITABLE_RULE_FIELDS = frozenset(RULE_FIELDS) - {"kind", "sub_account"}
CHANNEL_FIELDS = ("name", "kind", "enabled", "email_to", "url_display", "secret")
PRUNE_BATCH = 5000


# --- evaluation ---------------------------------------------------------------


def alerts_evaluate(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Evaluate every rule once: fire new episodes, resolve cleared ones.

    A finding fires at most one alert per dedup key until it resolves, and a
    key that resolved less than the rule's cool-down ago does not fire again
    yet. A rule whose evaluator raises is skipped, its alerts left as they are:
    an error is not the condition clearing. Two evaluations never overlap (a
    lease in the shared cache), and the database allows one firing alert per key.
    """
    now = now or timezone.now()
    summary = {"fired": 0, "resolved": 0, "ongoing": 0, "suppressed": 0, "errors": 0}
    if not cache.add(EVALUATE_LEASE_KEY, 1, EVALUATE_LEASE_SECONDS):
        summary["skipped"] = 1
        return summary
    try:
        for rule in AlertRule.objects.select_related("sub_account"):
            try:
                findings = rules.evaluate(rule, now) if rule.enabled else []
            except Exception:
                logger.exception("alert rule %s failed", rule.pk)
                summary["errors"] += 1
                continue
            _apply(rule, findings, now, summary)
    finally:
        cache.delete(EVALUATE_LEASE_KEY)
    return summary


def dedup_key(rule: AlertRule, finding: rules.Finding) -> str:
    """Return the key that names one subject of one rule."""
    return f"{rule.pk}:{finding.key}"[:200]


@transaction.atomic
def _apply(
    rule: AlertRule,
    findings: list[rules.Finding],
    now: dt.datetime,
    summary: dict[str, int],
) -> None:
    firing = {
        a.dedup_key: a
        for a in Alert.objects.select_for_update().filter(
            rule=rule, state=AlertState.FIRING
        )
    }
    wanted = {dedup_key(rule, f): f for f in findings}
    for key, alert in firing.items():
        if key not in wanted:
            _resolve(alert, now)
            summary["resolved"] += 1
    for key, finding in wanted.items():
        if key in firing:
            _refresh(firing[key], finding, now)
            summary["ongoing"] += 1
        elif _cooling_down(rule, key, now):
            summary["suppressed"] += 1
        elif _fire(rule, key, finding, now):
            summary["fired"] += 1


def _cooling_down(rule: AlertRule, key: str, now: dt.datetime) -> bool:
    since = now - dt.timedelta(minutes=rule.cooldown_minutes)
    return Alert.objects.filter(
        dedup_key=key, state=AlertState.RESOLVED, resolved_at__gt=since
    ).exists()


def _fire(rule: AlertRule, key: str, finding: rules.Finding, now: dt.datetime) -> bool:
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                rule=rule,
                kind=rule.kind,
                dedup_key=key,
                severity=finding.severity,
                subject=finding.subject[:200],
                message=finding.message[:500],
                provider_account_id=finding.provider_account_id,
                sub_account_id=finding.sub_account_id,
                value=finding.value,
                details=finding.details,
                fired_at=now,
                last_seen_at=now,
            )
    except IntegrityError:
        # Another evaluator fired the same key a moment ago.
        return False
    notifications_create(alert=alert, now=now)
    channels.deliveries_create(alert=alert, event=DeliveryEvent.FIRED, now=now)
    logger.info("alert fired", extra={"alert_id": alert.pk, "key": key})
    return True


def _refresh(alert: Alert, finding: rules.Finding, now: dt.datetime) -> None:
    alert.last_seen_at = now
    alert.value = finding.value
    alert.message = finding.message[:500]
    alert.severity = finding.severity
    alert.details = finding.details
    alert.save(
        update_fields=["last_seen_at", "value", "message", "severity", "details"]
    )


def _resolve(alert: Alert, now: dt.datetime) -> None:
    alert.state = AlertState.RESOLVED
    alert.resolved_at = now
    alert.save(update_fields=["state", "resolved_at"])
    channels.deliveries_create(alert=alert, event=DeliveryEvent.RESOLVED, now=now)
    logger.info("alert resolved", extra={"alert_id": alert.pk})


def alert_recipients(alert: Alert) -> list[int]:
    """Return who sees an alert in the portal: admins, finance for billing kinds,
    and the leads of the alert's team."""
    roles = [GlobalRole.ADMIN]
    if alert.kind in FINANCE_KINDS:
        roles.append(GlobalRole.FINANCE)
    users = set(
        User.objects.filter(is_active=True, role__in=roles).values_list("pk", flat=True)
    )
    if alert.sub_account_id is not None:
        users |= set(
            Membership.objects.filter(
                sub_account_id=alert.sub_account_id,
                role=MembershipRole.LEAD,
                user__is_active=True,
            ).values_list("user_id", flat=True)
        )
    return sorted(users)


def notifications_create(*, alert: Alert, now: dt.datetime) -> int:
    """Put a fired alert in the portal notifications of everyone who should see it."""
    rows = [
        Notification(user_id=user_id, alert=alert, created_at=now)
        for user_id in alert_recipients(alert)
    ]
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


# --- notifications ------------------------------------------------------------


def notifications_mark_read(*, user: User, notification_id: int | None = None) -> int:
    """Mark one of the user's notifications read, or all of them; return how many."""
    queryset = Notification.objects.for_user(user).unread()
    if notification_id is not None:
        queryset = queryset.filter(pk=notification_id)
    return queryset.update(read_at=timezone.now())


# --- rules --------------------------------------------------------------------


@transaction.atomic
def rule_create(
    *,
    actor: User,
    kind: str,
    name: str,
    sub_account: SubAccount | None = None,
    threshold: Decimal | None = None,
    min_count: int = 0,
    window_minutes: int = 15,
    cooldown_minutes: int = 60,
    enabled: bool = True,
) -> AlertRule:
    """Add an alert rule (e.g. a stricter one for one team) and audit it."""
    rule = AlertRule(
        kind=kind,
        name=name,
        sub_account=sub_account,
        threshold=threshold,
        min_count=min_count,
        window_minutes=window_minutes,
        cooldown_minutes=cooldown_minutes,
        enabled=enabled,
    )
    rule.full_clean()
    rule.save()
    audit_record(
        actor=actor,
        action="alert_rule.create",
        obj=rule,
        sub_account=sub_account,
        after=snapshot(rule, RULE_FIELDS),
    )
    return rule


@transaction.atomic
def rule_update(*, actor: User, rule: AlertRule, **changes: Any) -> AlertRule:
    """Change a rule's name, thresholds, window, cool-down or state; audit it."""
    unknown = set(changes) - EDITABLE_RULE_FIELDS
    if unknown:
        raise ValueError(f"Not editable: {', '.join(sorted(unknown))}")
    locked = AlertRule.objects.select_for_update().get(pk=rule.pk)
    before = snapshot(locked, RULE_FIELDS)
    for field, value in changes.items():
        setattr(locked, field, value)
    locked.full_clean()
    locked.save()
    after = snapshot(locked, RULE_FIELDS)
    if before != after:
        audit_record(
            actor=actor,
            action="alert_rule.update",
            obj=locked,
            sub_account=locked.sub_account,
            before=before,
            after=after,
        )
    return locked


# --- channels -----------------------------------------------------------------


def url_display(url: str) -> str:
    """Return a URL cut to scheme and host, safe to show (paths can hold tokens)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/…" if parts.netloc else ""


@transaction.atomic
def channel_create(
    *,
    actor: User,
    name: str,
    kind: str,
    email_to: str = "",
    url: str = "",
    enabled: bool = True,
) -> tuple[NotificationChannel, str | None]:
    """Add a channel; a webhook gets a new signing secret, returned only here.

    A webhook URL is checked again here (https, public addresses only), not
    only by the form, so no caller can store one that points inward.
    """
    if kind == ChannelKind.WEBHOOK:
        url = _checked_url(url)
    secret = secrets.token_urlsafe(32) if kind == ChannelKind.WEBHOOK else None
    channel = NotificationChannel(
        name=name,
        kind=kind,
        enabled=enabled,
        email_to=email_to if kind == ChannelKind.EMAIL else "",
        url=url if kind == ChannelKind.WEBHOOK else "",
        url_display=url_display(url) if kind == ChannelKind.WEBHOOK else "",
        secret=secret or "",
    )
    channel.full_clean()
    channel.save()
    audit_record(
        actor=actor,
        action="alert_channel.create",
        obj=channel,
        after=snapshot(channel, CHANNEL_FIELDS),
    )
    return channel, secret


@transaction.atomic
def channel_update(
    *,
    actor: User,
    channel: NotificationChannel,
    name: str,
    enabled: bool,
    email_to: str = "",
    url: str = "",
) -> NotificationChannel:
    """Rename, re-target, enable or disable a channel; an empty URL keeps the old."""
    locked = NotificationChannel.objects.select_for_update().get(pk=channel.pk)
    before = snapshot(locked, CHANNEL_FIELDS)
    locked.name, locked.enabled = name, enabled
    if locked.kind == ChannelKind.EMAIL:
        locked.email_to = email_to
    elif url:
        url = _checked_url(url)
        locked.url, locked.url_display = url, url_display(url)
    locked.full_clean()
    locked.save()
    after = snapshot(locked, CHANNEL_FIELDS)
    if before != after or url:
        audit_record(
            actor=actor,
            action="alert_channel.update",
            obj=locked,
            before=before,
            after={**after, "url": "changed" if url else "unchanged"},
        )
    return locked


def _checked_url(url: str) -> str:
    try:
        return validate_webhook_url(url)
    except ValidationError as exc:
        raise ValidationError({"url": exc.messages}) from exc


@transaction.atomic
def channel_delete(*, actor: User, channel: NotificationChannel) -> None:
    """Delete a channel and its delivery log."""
    audit_record(
        actor=actor,
        action="alert_channel.delete",
        obj=channel,
        before=snapshot(channel, CHANNEL_FIELDS),
    )
    channel.delete()


# --- retention ----------------------------------------------------------------


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


# --- syncs on demand ------------------------------------------------------------


def sync_request(
    *,
    actor: User,
    provider: ProviderAccount,
    kind: str,
    since: dt.date | None = None,
) -> str:
    """Queue one sync of one account now (admins); return what to tell the admin.

    The sync app checks and queues it (see `sync.requests.sync_enqueue`); the
    request is audited here.
    """
    require_admin(actor)
    message = sync_enqueue(provider=provider, kind=kind, since=since)
    audit_record(
        actor=actor,
        action="sync.requested",
        obj=provider,
        after={"kind": kind, "since": since.isoformat() if since else None},
    )
    return message
