"""What every credentials read shares: object keys, links, the user type."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.urls import NoReverseMatch, reverse

from accounts.models import SubAccount, User
from monitoring.models import NotificationChannel
from sync.models import ProviderAccount

AnyUser = User | AnonymousUser


def url_or_blank(name: str, *args: Any) -> str:
    """Return the URL of a named route, or "" while that page does not exist yet."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def master_url(name: str, provider: ProviderAccount) -> str:
    return f"{reverse(name)}?provider={provider.pk}"


def provider_key(provider: ProviderAccount) -> str:
    """Return the object key of a master account's auth token."""
    return f"provider:{provider.pk}"


def console_key(provider: ProviderAccount) -> str:
    """Return the object key of a master account's console password."""
    return f"console:{provider.pk}"


def subaccount_key(sub_account: SubAccount) -> str:
    """Return the object key of a sub-account's auth token."""
    return f"subaccount:{sub_account.pk}"


def channel_key(channel: NotificationChannel) -> str:
    """Return the object key of a webhook channel's signing secret."""
    return f"channel:{channel.pk}"


def trunk_rotation_url(trunk_pk: int) -> str:
    """Return the trunk app's page that starts a staged rotation of a trunk."""
    return url_or_blank("trunks:trunk_rotate", trunk_pk) or url_or_blank(
        "trunks:trunk_detail", trunk_pk
    )
