"""Rotate alert webhook signing secrets, with an overlap window."""

from __future__ import annotations

import datetime as dt
import logging
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import User
from credentials.choices import SecretKind
from credentials.models import RotationRecord
from credentials.selectors import channel_key
from credentials.services.common import RotationResult, record_done
from monitoring.models import NotificationChannel

logger = logging.getLogger("credentials.services.webhooks")


def channel_secret_rotate(
    *,
    actor: User | None,
    channel: NotificationChannel,
    now: dt.datetime | None = None,
) -> RotationResult:
    """Give a webhook channel a new signing secret, keeping the old one a while.

    For `WEBHOOK_SECRET_OVERLAP_HOURS` every delivery carries both signatures
    (`X-Portal-Signature` with the new secret, `X-Portal-Signature-Previous`
    with the old), so the receiver can switch at its own pace. A secret replaced
    earlier and still in its window is dropped.
    """
    now = now or timezone.now()
    hours = int(settings.WEBHOOK_SECRET_OVERLAP_HOURS)
    new = secrets.token_urlsafe(32)
    with transaction.atomic():
        locked = NotificationChannel.objects.select_for_update().get(pk=channel.pk)
        if not locked.secret:
            raise ValidationError("This channel has no signing secret to rotate.")
        record = RotationRecord.objects.create(
            kind=SecretKind.WEBHOOK_SECRET,
            object_key=channel_key(locked),
            object_label=locked.name,
            actor=actor,
            started_at=now,
        )
        locked.previous_secret = locked.secret
        locked.previous_secret_expires_at = now + dt.timedelta(hours=hours)
        locked.secret = new
        locked.secret_rotated_at = now
        locked.save()
        record_done(record, actor)
    return RotationResult(
        record,
        new,
        f"Signing secret of “{locked.name}” rotated; the old one also signs for "
        f"{hours} h.",
    )


@transaction.atomic
def channel_overlap_end(*, actor: User | None, channel: NotificationChannel) -> None:
    """Stop signing with a channel's previous secret now (the receiver switched)."""
    locked = NotificationChannel.objects.select_for_update().get(pk=channel.pk)
    if not locked.previous_secret:
        return
    locked.previous_secret = ""
    locked.previous_secret_expires_at = None
    locked.save(update_fields=["previous_secret", "previous_secret_expires_at"])
    audit_record(
        actor=actor,
        action="credential.overlap_ended",
        obj=locked,
        after={"kind": SecretKind.WEBHOOK_SECRET},
    )
