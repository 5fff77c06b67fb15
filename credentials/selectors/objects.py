"""Scoped reads of single objects and of the drills."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from accounts.models import SubAccount, require_admin
from credentials.models import Drill
from credentials.selectors.common import AnyUser
from monitoring.choices import ChannelKind
from monitoring.models import NotificationChannel
from sync.models import ProviderAccount
from trunks.models import Trunk


def drill_list(*, user: AnyUser) -> QuerySet[Drill]:
    """Return every drill, newest first (admins)."""
    require_admin(user)
    return Drill.objects.select_related("started_by").order_by("-created_at", "-id")


def drill_candidates(*, user: AnyUser) -> QuerySet[SubAccount]:
    """Return the sub-accounts a drill can be started for (admins)."""
    require_admin(user)
    return SubAccount.objects.filter(
        removed_at__isnull=True, auth_id__isnull=False
    ).order_by("name", "pk")


def drill_get(*, user: AnyUser, sub_account_id: int, drill_id: int) -> Drill:
    """Return one drill of a sub-account the user may see, or raise 404; then 403
    unless the user is an admin."""
    team = get_object_or_404(SubAccount.objects.visible_to(user), pk=sub_account_id)
    drill = get_object_or_404(
        Drill.objects.select_related("sub_account", "started_by"),
        pk=drill_id,
        sub_account=team,
    )
    require_admin(user)
    return drill


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


def drill_trunks(sub_account: SubAccount) -> list[Trunk]:
    """Return the sub-account's trunks that use a password (a drill rotates them)."""
    return list(
        Trunk.objects.present()
        .filter(sub_account=sub_account, credential__isnull=False)
        .select_related("credential")
        .order_by("name", "pk")
    )
