"""In-portal notifications of alerts: who gets one, and marking them read.

Notices that are not alerts (reminders, "your numbers are ready") go through
`core.notify`, whose sender is `monitoring.notify.notify_send`.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from accounts.choices import GlobalRole, MembershipRole
from accounts.models import Membership, User
from monitoring.choices import FINANCE_KINDS
from monitoring.models import Alert, Notification


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


def notifications_mark_read(*, user: User, notification_id: int | None = None) -> int:
    """Mark one of the user's notifications read, or all of them; return how many."""
    queryset = Notification.objects.for_user(user).unread()
    if notification_id is not None:
        queryset = queryset.filter(pk=notification_id)
    return queryset.update(read_at=timezone.now())
