"""Tell people something: an in-portal notification, and an e-mail.

For notices that are not alerts (credential rotation reminders, "your numbers are
ready"). Alerts have their own rules, channels and delivery log.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from monitoring.models import Notification

logger = logging.getLogger("monitoring.notify")


def notify_send(
    *,
    users: Iterable[User],
    title: str,
    body: str,
    url: str = "",
    email: bool = True,
) -> int:
    """Notify each active user once, in the portal and (after commit) by e-mail.

    Return how many users were notified. E-mail goes out only when the
    transaction that decided to notify commits, and a mail failure is logged, not
    raised: the in-portal notification is the record.
    """
    recipients = {user.pk: user for user in users if user.is_active}
    now = timezone.now()
    Notification.objects.bulk_create(
        [
            Notification(
                user=user,
                title=title[:200],
                body=body[:1000],
                url=url[:500],
                created_at=now,
            )
            for user in recipients.values()
        ]
    )
    if email and recipients:
        addresses = [user.email for user in recipients.values()]
        transaction.on_commit(lambda: _mail(addresses, title, body, url))
    return len(recipients)


def _mail(addresses: list[str], title: str, body: str, url: str) -> None:
    link = settings.PORTAL_BASE_URL.rstrip("/") + url if url.startswith("/") else url
    text = f"{body}\n\n{link}\n" if link else f"{body}\n"
    for address in addresses:
        try:
            send_mail(title, text, settings.DEFAULT_FROM_EMAIL, [address])
        except Exception:
            logger.exception("notification e-mail failed", extra={"to": address})
