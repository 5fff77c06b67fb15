"""Daily upkeep: encryption key sightings and rotation reminders."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone

from accounts.choices import GlobalRole
from accounts.models import User
from core.crypto import key_fingerprints
from core.notify import notify
from credentials.choices import SecretKind
from credentials.models import EncryptionKey, SecretReminder
from credentials.selectors import system_inventory

logger = logging.getLogger("credentials.services.upkeep")


def encryption_keys_record(*, now: dt.datetime | None = None) -> int:
    """Record when each configured field-encryption key was first seen.

    Only fingerprints are kept. A key no longer configured is marked retired.
    Return how many keys were new. Writes nothing when nothing changed, so
    pages may call it on every view.
    """
    now = now or timezone.now()
    configured = key_fingerprints()
    rows = {row.fingerprint: row for row in EncryptionKey.objects.all()}
    missing = [
        EncryptionKey(
            fingerprint=fingerprint,
            first_seen_at=now,
            last_seen_at=now,
            primary_since=now if position == 0 else None,
        )
        for position, fingerprint in enumerate(configured)
        if fingerprint not in rows
    ]
    if missing:
        EncryptionKey.objects.bulk_create(missing, ignore_conflicts=True)
    primary = rows.get(configured[0])
    if primary is not None and primary.primary_since is None:
        EncryptionKey.objects.filter(pk=primary.pk).update(primary_since=now)
    retire = [
        r.pk for f, r in rows.items() if f not in configured and r.retired_at is None
    ]
    if retire:
        EncryptionKey.objects.filter(pk__in=retire).update(retired_at=now)
    back = [r.pk for f, r in rows.items() if f in configured and r.retired_at]
    if back:
        EncryptionKey.objects.filter(pk__in=back).update(retired_at=None)
    return len(missing)


def encryption_keys_seen(*, now: dt.datetime | None = None) -> None:
    """Note that every configured key is still in use (the daily task)."""
    now = now or timezone.now()
    EncryptionKey.objects.filter(fingerprint__in=key_fingerprints()).update(
        last_seen_at=now
    )


def rotation_reminders_send(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Remind the admins of secrets due for rotation: 14, 7 and 1 days ahead, then
    weekly while overdue; each reminder once per secret, milestone and due date.

    SIP trunk passwords are left to the trunks app's own reminders (which also
    tell the team); refresh tokens renew themselves.
    """
    now = now or timezone.now()
    encryption_keys_record(now=now)
    encryption_keys_seen(now=now)
    admins = list(User.objects.filter(role=GlobalRole.ADMIN, is_active=True))
    counts = {"sent": 0, "already": 0}
    skip = {SecretKind.TRUNK_PASSWORD, SecretKind.REFRESH_TOKEN}
    for item in system_inventory(now=now).items:
        if item.kind in skip or item.age is None or item.age.milestone is None:
            continue
        with transaction.atomic():
            reminder, created = SecretReminder.objects.get_or_create(
                object_key=item.key,
                due_on=item.age.due_on,
                milestone=item.age.milestone,
            )
            if not created:
                counts["already"] += 1
                continue
            reminder.recipients = notify(
                users=admins,
                title=f"{item.kind_label} {item.status_label.lower()}: {item.name}",
                body=(
                    f"The {item.kind_label.lower()} “{item.name}” ({item.owner}) "
                    f"is due for rotation on {item.age.due_on:%Y-%m-%d} "
                    f"({item.age.period}-day policy)."
                ),
                url=item.action_url,
            )
            reminder.save(update_fields=["recipients"])
            counts["sent"] += 1
    return counts
