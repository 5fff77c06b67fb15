"""Notification channels: add, change and delete an e-mail list or a webhook.

Sending to a channel (alert deliveries and test sends) is in
`monitoring.services.deliveries`; a webhook secret's rotation is in
`credentials`.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.audit import audit_record, snapshot
from accounts.models import User
from monitoring.choices import ChannelKind
from monitoring.models import NotificationChannel
from monitoring.services.webhooks import validate_webhook_url

CHANNEL_FIELDS = ("name", "kind", "enabled", "email_to", "url_display", "secret")


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
