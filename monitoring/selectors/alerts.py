"""Reads for alerts, rules, channels, deliveries, notifications and synthetic
checks. Every read takes the user and checks the role."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import require_admin, require_admin_or_finance
from monitoring.choices import AlertState
from monitoring.filters import AlertFilter, DeliveryFilter
from monitoring.models import (
    Alert,
    AlertRule,
    Delivery,
    Notification,
    NotificationChannel,
    SyntheticCheck,
)
from monitoring.selectors.common import AnyUser, Filters

# --- alerts and rules ---------------------------------------------------------


def alert_list(*, user: AnyUser, filters: Filters = None) -> AlertFilter:
    """Return the filter over alerts, newest first (admins and finance)."""
    require_admin_or_finance(user)
    queryset = Alert.objects.visible_to(user).select_related("sub_account")
    return AlertFilter(filters or None, queryset=queryset)


def alert_get(*, user: AnyUser, alert_id: int) -> Alert:
    """Return one alert (admins and finance), or raise 404."""
    require_admin_or_finance(user)
    return get_object_or_404(
        Alert.objects.visible_to(user).select_related("rule", "sub_account"),
        pk=alert_id,
    )


def alert_deliveries(*, user: AnyUser, alert: Alert) -> list[Delivery]:
    """Return the deliveries of one alert (admins only see the delivery log)."""
    if not getattr(user, "is_admin", False):
        return []
    return list(alert.deliveries.select_related("channel").order_by("created_at", "pk"))


def open_alerts(*, user: AnyUser, limit: int = 8) -> dict[str, Any]:
    """Return the count and the newest of the firing alerts (admins and finance)."""
    require_admin_or_finance(user)
    firing = Alert.objects.visible_to(user).filter(state=AlertState.FIRING)
    return {
        "count": firing.count(),
        "items": list(firing.select_related("sub_account")[:limit]),
    }


def rule_list(*, user: AnyUser) -> QuerySet[AlertRule]:
    """Return every alert rule with its count of firing alerts (admins)."""
    require_admin(user)
    return AlertRule.objects.select_related("sub_account").annotate(
        firing=Count("alerts", filter=Q(alerts__state=AlertState.FIRING))
    )


def rule_get(*, user: AnyUser, rule_id: int) -> AlertRule:
    """Return one alert rule (admins), or raise 404."""
    require_admin(user)
    return get_object_or_404(
        AlertRule.objects.select_related("sub_account"), pk=rule_id
    )


# --- channels and deliveries --------------------------------------------------


def channel_list(*, user: AnyUser) -> QuerySet[NotificationChannel]:
    """Return every channel with its delivery counts (admins)."""
    require_admin(user)
    return NotificationChannel.objects.annotate(
        sent=Count("deliveries", filter=Q(deliveries__status="sent")),
        failed=Count("deliveries", filter=Q(deliveries__status="failed")),
    ).order_by("name")


def channel_get(*, user: AnyUser, channel_id: int) -> NotificationChannel:
    """Return one channel (admins), or raise 404."""
    require_admin(user)
    return get_object_or_404(NotificationChannel, pk=channel_id)


def delivery_list(*, user: AnyUser, filters: Filters = None) -> DeliveryFilter:
    """Return the filter over the delivery log, newest first (admins)."""
    require_admin(user)
    queryset = Delivery.objects.select_related("channel", "alert")
    return DeliveryFilter(filters or None, queryset=queryset)


# --- notifications and synthetic checks ---------------------------------------


def notification_list(*, user: AnyUser) -> QuerySet[Notification]:
    """Return the user's own notifications with their alerts."""
    return Notification.objects.for_user(user).select_related(
        "alert", "alert__sub_account"
    )


def notification_get(*, user: AnyUser, notification_id: int) -> Notification:
    """Return one of the user's own notifications, or raise 404."""
    return get_object_or_404(Notification.objects.for_user(user), pk=notification_id)


def unread_count(*, user: AnyUser) -> int:
    """Return how many of the user's notifications are unread (one query)."""
    return Notification.objects.for_user(user).unread().count()


def synthetic_list(*, user: AnyUser) -> QuerySet[SyntheticCheck]:
    """Return synthetic test calls, newest first (admins)."""
    require_admin(user)
    return SyntheticCheck.objects.select_related("provider_account")
