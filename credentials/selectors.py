"""Reads for the credentials pages: the secret inventory, drills and their steps.

The inventory is built from a fixed number of queries whatever the number of
sub-accounts, trunks or channels: one per kind of holder, one for the newest
rotation of every secret and one for the trunk rotations.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Max, OuterRef, QuerySet, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from accounts.models import ProviderAccount, SubAccount, User, require_admin
from credentials.choices import RotationState, SecretKind, SecretStatus
from credentials.models import Drill, EncryptionKey, RotationRecord
from credentials.policy import TONES, Age, age_of, period_days
from monitoring.choices import ChannelKind
from monitoring.models import NotificationChannel
from portal.crypto import key_fingerprints
from trunks.models import RotationJob, Trunk, TrunkCredential

AnyUser = User | AnonymousUser


def url_or_blank(name: str, *args: Any) -> str:
    """Return the URL of a named route, or "" while that page does not exist yet."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _master_url(name: str, provider: ProviderAccount) -> str:
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


@dataclass
class SecretItem:
    """One secret in the inventory: where it is, how old, who rotated it last."""

    key: str
    kind: str
    name: str
    owner: str
    since: dt.datetime | None
    status: str
    status_label: str
    sub_account_id: int | None = None
    age: Age | None = None
    last_rotated_at: dt.datetime | None = None
    rotated_by: str = ""
    action_url: str = ""
    action_label: str = ""
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def kind_label(self) -> str:
        return str(SecretKind(self.kind).label)

    @property
    def tone(self) -> str:
        return TONES[SecretStatus(self.status)]

    @property
    def period(self) -> int | None:
        return period_days(self.kind)

    @property
    def needs_attention(self) -> bool:
        # An expired refresh token is routine: the client signs in again.
        return self.status in (SecretStatus.DUE, SecretStatus.OVERDUE)


@dataclass
class Inventory:
    """Every secret, with counts per status for the summary and the dashboard."""

    items: list[SecretItem]
    now: dt.datetime

    @property
    def counts(self) -> Counter[str]:
        return Counter(item.status for item in self.items)

    def filtered(self, *, kind: str = "", status: str = "") -> list[SecretItem]:
        """Return the items of one kind and/or status ("attention": due or worse)."""
        items = self.items
        if kind:
            items = [i for i in items if i.kind == kind]
        if status == "attention":
            items = [i for i in items if i.needs_attention]
        elif status:
            items = [i for i in items if i.status == status]
        return items


@dataclass
class _Rotations:
    """The newest finished rotation of each secret, by object key."""

    records: dict[str, RotationRecord]

    def apply(self, item: SecretItem, fallback_since: dt.datetime | None) -> None:
        """Fill "last rotated" and "by whom"; age from the rotation when newer."""
        record = self.records.get(item.key)
        if record is None or record.finished_at is None:
            return
        item.last_rotated_at = record.finished_at
        item.rotated_by = record.actor.email if record.actor else "system"
        if fallback_since is None or record.finished_at > fallback_since:
            item.since = record.finished_at


def _latest_rotations() -> _Rotations:
    newest = (
        RotationRecord.objects.filter(state=RotationState.DONE)
        .values("object_key")
        .annotate(last=Max("pk"))
        .values("last")
    )
    rows = RotationRecord.objects.filter(pk__in=Subquery(newest)).select_related(
        "actor"
    )
    return _Rotations({row.object_key: row for row in rows})


def _aged(item: SecretItem, now: dt.datetime) -> SecretItem:
    """Set the status of a held secret from its age and its kind's period."""
    period = period_days(item.kind)
    if item.since is None or period is None:
        return item
    item.age = age_of(item.since, period, now=now)
    item.status, item.status_label = item.age.status, item.age.label
    return item


def _held(kind: str, key: str, name: str, owner: str, since: Any) -> SecretItem:
    return SecretItem(
        key=key,
        kind=kind,
        name=name,
        owner=owner,
        since=since,
        status=SecretStatus.OK,
        status_label="OK",
    )


def _not_held(kind: str, key: str, name: str, owner: str, note: str) -> SecretItem:
    return SecretItem(
        key=key,
        kind=kind,
        name=name,
        owner=owner,
        since=None,
        status=SecretStatus.NOT_HELD,
        status_label="Not held",
        note=note,
    )


def _provider_items(
    provider: ProviderAccount, rotations: _Rotations, now: dt.datetime
) -> list[SecretItem]:
    owner = f"Company ({provider.label})"
    items = []
    token = _held(
        SecretKind.MASTER_TOKEN,
        provider_key(provider),
        provider.auth_id,
        owner,
        provider.auth_token_rotated_at or provider.created_at,
    )
    rotations.apply(token, token.since)
    token.action_url = _master_url("credentials:master_token_rotate", provider)
    token.action_label = "Rotate"
    items.append(_aged(token, now))
    if provider.login_password:
        password = _held(
            SecretKind.CONSOLE_PASSWORD,
            console_key(provider),
            "Console login",
            owner,
            provider.created_at,
        )
        rotations.apply(password, password.since)
        password.action_url = _master_url(
            "credentials:master_console_password", provider
        )
        password.action_label = "Change"
        items.append(_aged(password, now))
    else:
        items.append(
            _not_held(
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
        return _not_held(
            SecretKind.REFRESH_TOKEN,
            key,
            "Console refresh token",
            owner,
            "Issued at the next console login.",
        )
    item = _held(
        SecretKind.REFRESH_TOKEN,
        key,
        "Console refresh token",
        owner,
        expires - dt.timedelta(days=period_days(SecretKind.REFRESH_TOKEN) or 7),
    )
    item.note = "Renewed by every refresh; a console password change revokes it."
    item.extra["expires_at"] = expires
    if expires <= now:
        item.status, item.status_label = SecretStatus.EXPIRED, "Expired"
        item.note = "Expired; the portal signs in again on its next console call."
    else:
        left = expires - now
        item.status_label = f"Valid for {left.days}d {left.seconds // 3600}h"
    item.action_url = _master_url("credentials:master_console_password", provider)
    item.action_label = "Revoke (change password)"
    return item


def _subaccount_items(rotations: _Rotations, now: dt.datetime) -> list[SecretItem]:
    teams = SubAccount.objects.filter(
        removed_at__isnull=True, auth_id__isnull=False
    ).order_by("name", "pk")
    items = []
    for team in teams:
        key, name = subaccount_key(team), team.auth_id or ""
        if not team.auth_token:
            item = _not_held(
                SecretKind.SUBACCOUNT_TOKEN,
                key,
                name,
                team.name,
                "The portal holds no token for it; rotate it in the Vobiz console.",
            )
        else:
            item = _held(SecretKind.SUBACCOUNT_TOKEN, key, name, team.name, None)
            item.since = team.created_at
            rotations.apply(item, item.since)
            item.action_url = reverse(
                "credentials:subaccount_token_rotate", args=[team.pk]
            )
            item.action_label = "Rotate"
            _aged(item, now)
            if not team.enabled:
                item.note = "Sub-account disabled."
        item.sub_account_id = team.pk
        item.extra["drill_url"] = reverse(
            "credentials:subaccount_drill", args=[team.pk]
        )
        items.append(item)
    return items


def _trunk_items(now: dt.datetime) -> list[SecretItem]:
    first_trunk = Trunk.objects.filter(
        credential=OuterRef("pk"), removed_at__isnull=True
    ).values("pk")[:1]
    credentials = (
        TrunkCredential.objects.present()
        .select_related("sub_account")
        .annotate(trunk_pk=Subquery(first_trunk))
        .order_by("username", "pk")
    )
    jobs = {
        job.new_credential_id: job
        for job in RotationJob.objects.filter(
            state="done",
            new_credential__isnull=False,
            new_credential__removed_at__isnull=True,
        ).select_related("started_by")
    }
    items = []
    for credential in credentials:
        owner = credential.sub_account.name if credential.sub_account else "Company"
        item = _held(
            SecretKind.TRUNK_PASSWORD,
            f"credential:{credential.pk}",
            credential.username,
            owner,
            credential.age_base,
        )
        item.sub_account_id = credential.sub_account_id
        job = jobs.get(credential.pk)
        if job is not None:
            item.last_rotated_at = job.finished_at or credential.rotated_at
            item.rotated_by = job.started_by.email if job.started_by else "system"
        elif credential.rotated_at:
            item.last_rotated_at = credential.rotated_at
        trunk_pk = getattr(credential, "trunk_pk", None)
        if trunk_pk:
            item.action_url = trunk_rotation_url(trunk_pk)
            item.action_label = "Staged rotation"
        else:
            item.note = "Not attached to a trunk."
        if not credential.enabled:
            item.note = "Disabled at Vobiz."
        items.append(_aged(item, now))
    return items


def trunk_rotation_url(trunk_pk: int) -> str:
    """Return the trunk app's page that starts a staged rotation of a trunk."""
    return url_or_blank("trunks:trunk_rotate", trunk_pk) or url_or_blank(
        "trunks:trunk_detail", trunk_pk
    )


def _channel_items(rotations: _Rotations, now: dt.datetime) -> list[SecretItem]:
    channels = NotificationChannel.objects.filter(kind=ChannelKind.WEBHOOK).order_by(
        "name", "pk"
    )
    items = []
    for channel in channels:
        since = channel.secret_rotated_at or channel.created_at
        item = _held(
            SecretKind.WEBHOOK_SECRET,
            channel_key(channel),
            channel.name,
            "Alert channel",
            since,
        )
        rotations.apply(item, since)
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
        items.append(_aged(item, now))
    return items


def _key_items(now: dt.datetime) -> list[SecretItem]:
    configured = key_fingerprints()
    known = {
        row.fingerprint: row
        for row in EncryptionKey.objects.filter(fingerprint__in=configured)
    }
    items = []
    for position, fingerprint in enumerate(configured):
        row = known.get(fingerprint)
        item = _held(
            SecretKind.ENCRYPTION_KEY,
            f"key:{fingerprint}",
            fingerprint,
            "Portal",
            row.first_seen_at if row else now,
        )
        item.extra["primary"] = position == 0
        item.note = (
            "Encrypts new secrets."
            if position == 0
            else "Decrypts only; drop it once rotate_encryption_keys has run."
        )
        item.last_rotated_at = row.primary_since if row else None
        item.action_url = reverse("credentials:inventory") + "#encryption-keys"
        item.action_label = "How to rotate"
        items.append(_aged(item, now))
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
    rotations = _latest_rotations()
    items: list[SecretItem] = []
    for provider in ProviderAccount.objects.order_by("label", "pk"):
        items += _provider_items(provider, rotations, now)
    items += _subaccount_items(rotations, now)
    items += _trunk_items(now)
    items += _channel_items(rotations, now)
    items += _key_items(now)
    return Inventory(items=items, now=now)


def rotation_history(*, user: AnyUser, limit: int = 20) -> QuerySet[RotationRecord]:
    """Return the latest rotations of any kind (admins)."""
    require_admin(user)
    return RotationRecord.objects.select_related("actor").order_by(
        "-started_at", "-id"
    )[:limit]


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
