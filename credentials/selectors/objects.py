"""Scoped reads of single objects: a sub-account, a master account, a channel."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404

from accounts.models import SubAccount, require_admin
from credentials.selectors.common import AnyUser
from monitoring.choices import ChannelKind
from monitoring.models import NotificationChannel
from sync.models import ProviderAccount


def subaccount_for_admin(*, user: AnyUser, sub_account_id: int) -> SubAccount:
    """Return a sub-account the user may see (else 404), then require an admin."""
    sub_account = get_object_or_404(
        SubAccount.objects.visible_to(user).select_related("provider_account"),
        pk=sub_account_id,
        removed_at__isnull=True,
    )
    require_admin(user)
    return sub_account


def provider_for_admin(*, user: AnyUser, provider_id: str | None) -> ProviderAccount:
    """Return the master account named by id, or the only one (admins; else 404).

    The role is checked first: a master account belongs to no team.
    """
    require_admin(user)
    if provider_id:
        if not provider_id.isdigit():
            raise Http404
        return get_object_or_404(ProviderAccount, pk=int(provider_id))
    found = list(ProviderAccount.objects.order_by("pk")[:2])
    if len(found) != 1:
        raise Http404
    return found[0]


def channel_for_admin(*, user: AnyUser, channel_id: int) -> NotificationChannel:
    """Return a webhook channel (admins)."""
    require_admin(user)
    return get_object_or_404(
        NotificationChannel, pk=channel_id, kind=ChannelKind.WEBHOOK
    )
