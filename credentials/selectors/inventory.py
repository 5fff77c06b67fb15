"""The secret inventory: every secret the portal holds or depends on.

It is built from a fixed number of queries whatever the number of sub-accounts,
trunks or channels: one per kind of holder, each carrying its newest rotation
as a subquery, and the encryption keys riding on the providers' query.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Exists, OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone

from accounts.models import SubAccount, require_admin
from core.crypto import key_fingerprints
from core.rotation import POLICIES
from credentials.choices import SecretKind, SecretStatus
from credentials.models import EncryptionKey
from credentials.selectors.common import (
    AnyUser,
    channel_key,
    console_key,
    master_url,
    provider_key,
    subaccount_key,
    trunk_rotation_url,
    url_or_blank,
)
from credentials.selectors.items import (
    Inventory,
    SecretItem,
    aged,
    apply_rotation,
    held,
    last_rotation,
    not_held,
)
from monitoring.choices import ChannelKind
from monitoring.models import NotificationChannel
from sync.models import ProviderAccount
from trunks.choices import RotationState as TrunkRotationState
from trunks.models import IpAclEntry, RotationJob, Trunk, TrunkCredential


def _provider_items(provider: ProviderAccount, now: dt.datetime) -> list[SecretItem]:
    owner = f"Company ({provider.label})"
    items = []
    token = held(
        SecretKind.MASTER_TOKEN,
        provider_key(provider),
        provider.auth_id,
        owner,
        provider.auth_token_rotated_at or provider.created_at,
    )
    apply_rotation(token, provider, "token")
    token.action_url = master_url("credentials:master_token_rotate", provider)
    token.action_label = "Rotate"
    items.append(aged(token, now))
    if provider.login_password:
        password = held(
            SecretKind.CONSOLE_PASSWORD,
            console_key(provider),
            "Console login",
            owner,
            provider.created_at,
        )
        apply_rotation(password, provider, "console")
        password.action_url = master_url(
            "credentials:master_console_password", provider
        )
        password.action_label = "Change"
        items.append(aged(password, now))
    else:
        items.append(
            not_held(
                SecretKind.CONSOLE_PASSWORD,
                console_key(provider),
                "Console login",
                owner,
                "No console login configured (manage.py connect_vobiz).",
            )
        )
    items.append(_refresh_item(provider, owner, now))
    return items


def _refresh_item(
    provider: ProviderAccount, owner: str, now: dt.datetime
) -> SecretItem:
    expires = provider.refresh_token_expires_at
    key = f"refresh:{provider.pk}"
    if not provider.refresh_token or expires is None:
        return not_held(
            SecretKind.REFRESH_TOKEN,
            key,
            "Console refresh token",
            owner,
            "Issued at the next console login.",
        )
    item = held(
        SecretKind.REFRESH_TOKEN,
        key,
        "Console refresh token",
        owner,
        expires - dt.timedelta(days=POLICIES[SecretKind.REFRESH_TOKEN].days()),
    )
    item.note = "Renewed by every refresh; a console password change revokes it."
    item.extra["expires_at"] = expires
    if expires <= now:
        item.status, item.status_label = SecretStatus.EXPIRED, "Expired"
        item.note = "Expired; the portal signs in again on its next console call."
    else:
        left = expires - now
        item.status_label = f"Valid for {left.days}d {left.seconds // 3600}h"
    item.action_url = master_url("credentials:master_console_password", provider)
    item.action_label = "Revoke (change password)"
    return item


def _subaccount_items(now: dt.datetime, teams: list[SubAccount]) -> list[SecretItem]:
    items = []
    for team in teams:
        key, name = subaccount_key(team), team.auth_id or ""
        if not team.auth_token:
            item = not_held(
                SecretKind.SUBACCOUNT_TOKEN,
                key,
                name,
                team.name,
                "The portal holds no token for it; rotate it in the Vobiz console.",
            )
        else:
            item = held(SecretKind.SUBACCOUNT_TOKEN, key, name, team.name, None)
            item.since = team.created_at
            apply_rotation(item, team, "token")
            item.action_url = reverse(
                "credentials:subaccount_token_rotate", args=[team.pk]
            )
            item.action_label = "Rotate"
            aged(item, now)
            if not team.enabled:
                item.note = "Sub-account disabled."
        item.sub_account_id = team.pk
        item.extra["drill_url"] = reverse(
            "credentials:subaccount_drill", args=[team.pk]
        )
        items.append(item)
    return items


def _credentials() -> list[TrunkCredential]:
    """Read every present SIP credential with its trunk and its last rotation.

    The trunk is the first one using the credential: its name, whether it is
    whitelisted too, and its account's environment feed the posture checks.
    """
    first = Trunk.objects.filter(
        credential=OuterRef("pk"), removed_at__isnull=True
    ).order_by("pk")
    whitelisted = IpAclEntry.objects.present().filter(trunk_id=OuterRef("trunk_pk"))
    done = RotationJob.objects.filter(new_credential=OuterRef("pk"), state="done")
    under_way = RotationJob.objects.filter(old_credential=OuterRef("pk")).exclude(
        state__in=["done", "cancelled"]
    )
    return list(
        TrunkCredential.objects.present()
        .select_related("sub_account", "provider_account")
        .annotate(
            trunk_pk=Subquery(first.values("pk")[:1]),
            trunk_name=Subquery(first.values("name")[:1]),
            trunk_ipacl=Subquery(first.values("ipacl_remote_id")[:1]),
            job_finished_at=Subquery(done.values("finished_at")[:1]),
            job_started_by=Subquery(done.values("started_by__email")[:1]),
            job_id=Subquery(done.values("pk")[:1]),
            open_job_id=Subquery(under_way.values("pk")[:1]),
            open_job_state=Subquery(under_way.values("state")[:1]),
        )
        .annotate(trunk_whitelisted=Exists(whitelisted))
        .order_by("username", "pk")
    )


def _trunk_items(
    now: dt.datetime, credentials: list[TrunkCredential]
) -> list[SecretItem]:
    items = []
    for credential in credentials:
        owner = credential.sub_account.name if credential.sub_account else "Company"
        item = held(
            SecretKind.TRUNK_PASSWORD,
            f"credential:{credential.pk}",
            credential.username,
            owner,
            credential.age_base,
        )
        item.sub_account_id = credential.sub_account_id
        if getattr(credential, "job_id", None):
            item.last_rotated_at = (
                getattr(credential, "job_finished_at", None) or credential.rotated_at
            )
            item.rotated_by = getattr(credential, "job_started_by", None) or "system"
        elif credential.rotated_at:
            item.last_rotated_at = credential.rotated_at
        trunk_pk = getattr(credential, "trunk_pk", None)
        open_job = getattr(credential, "open_job_id", None)
        if trunk_pk and open_job:
            # A staged rotation is under way: link to it, with where it stands.
            state = getattr(credential, "open_job_state", "")
            item.action_url = url_or_blank(
                "trunks:trunk_rotation_detail", trunk_pk, open_job
            )
            item.action_label = "Rotation under way"
            item.note = f"Staged rotation: {TrunkRotationState(state).label}."
        elif trunk_pk:
            item.action_url = trunk_rotation_url(trunk_pk)
            item.action_label = "Staged rotation"
        else:
            item.note = "Not attached to a trunk."
        if not credential.enabled:
            item.note = "Disabled at Vobiz."
        items.append(aged(item, now))
    return items


def _channel_items(now: dt.datetime) -> list[SecretItem]:
    channels = (
        NotificationChannel.objects.filter(kind=ChannelKind.WEBHOOK)
        .annotate(**last_rotation("secret", "channel"))
        .order_by("name", "pk")
    )
    items = []
    for channel in channels:
        since = channel.secret_rotated_at or channel.created_at
        item = held(
            SecretKind.WEBHOOK_SECRET,
            channel_key(channel),
            channel.name,
            "Alert channel",
            since,
        )
        apply_rotation(item, channel, "secret")
        item.action_url = reverse(
            "credentials:channel_secret_rotate", args=[channel.pk]
        )
        item.action_label = "Rotate"
        if channel.previous_secret_active(now):
            expires = channel.previous_secret_expires_at
            item.note = f"Old secret still signs until {expires:%Y-%m-%d %H:%M}."
            item.extra["overlap_end_url"] = reverse(
                "credentials:channel_overlap_end", args=[channel.pk]
            )
        items.append(aged(item, now))
    return items


def key_annotations(configured: list[str]) -> dict[str, Any]:
    """Annotations that carry each configured key's sightings on another query.

    Keys are few (the settings list them); riding on the providers query saves
    every inventory page a query.
    """
    found: dict[str, Any] = {}
    for position, fingerprint in enumerate(configured):
        row = EncryptionKey.objects.filter(fingerprint=fingerprint)
        found[f"key{position}_seen"] = Subquery(row.values("first_seen_at")[:1])
        found[f"key{position}_primary"] = Subquery(row.values("primary_since")[:1])
    return found


def _key_dates(
    providers: list[ProviderAccount], configured: list[str]
) -> dict[str, tuple[Any, Any]]:
    """Return (first seen, primary since) per configured fingerprint."""
    if providers:
        row = providers[0]
        return {
            fingerprint: (
                getattr(row, f"key{position}_seen", None),
                getattr(row, f"key{position}_primary", None),
            )
            for position, fingerprint in enumerate(configured)
        }
    rows = EncryptionKey.objects.filter(fingerprint__in=configured)
    return {row.fingerprint: (row.first_seen_at, row.primary_since) for row in rows}


def _key_items(
    now: dt.datetime, configured: list[str], dates: dict[str, tuple[Any, Any]]
) -> list[SecretItem]:
    items = []
    for position, fingerprint in enumerate(configured):
        seen, primary_since = dates.get(fingerprint, (None, None))
        item = held(
            SecretKind.ENCRYPTION_KEY,
            f"key:{fingerprint}",
            fingerprint,
            "Portal",
            seen or now,
        )
        item.extra["primary"] = position == 0
        item.note = (
            "Encrypts new secrets."
            if position == 0
            else "Decrypts only; drop it once rotate_encryption_keys has run."
        )
        item.last_rotated_at = primary_since
        if seen is None:
            item.note += " First sighting not recorded yet (the daily check does)."
        item.action_url = reverse("credentials:inventory") + "#encryption-keys"
        item.action_label = "How to rotate"
        items.append(aged(item, now))
    return items


def inventory(*, user: AnyUser, now: dt.datetime | None = None) -> Inventory:
    """Return every secret the portal holds or depends on (admins only).

    Values are never read: a secret appears by where it lives, its age, its
    policy and its last rotation.
    """
    require_admin(user)
    return system_inventory(now=now)


def system_inventory(*, now: dt.datetime | None = None) -> Inventory:
    """Return the inventory unscoped, for the reminder task and the posture page."""
    now = now or timezone.now()
    configured = key_fingerprints()
    providers = list(
        ProviderAccount.objects.annotate(
            **last_rotation("token", "provider"),
            **last_rotation("console", "console"),
            **key_annotations(configured),
        ).order_by("label", "pk")
    )
    teams = list(
        SubAccount.objects.filter(removed_at__isnull=True, auth_id__isnull=False)
        .annotate(**last_rotation("token", "subaccount"))
        .order_by("name", "pk")
    )
    credentials = _credentials()
    items: list[SecretItem] = []
    for provider in providers:
        items += _provider_items(provider, now)
    items += _subaccount_items(now, teams)
    items += _trunk_items(now, credentials)
    items += _channel_items(now)
    items += _key_items(now, configured, _key_dates(providers, configured))
    return Inventory(items=items, now=now, teams=teams, credentials=credentials)
