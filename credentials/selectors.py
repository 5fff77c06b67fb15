"""Reads for the credentials pages: the secret inventory, drills and their steps.

The inventory is built from a fixed number of queries whatever the number of
sub-accounts, trunks or channels: one per kind of holder, each carrying its
newest rotation as a subquery.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import CharField, Exists, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Cast, Concat
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
from trunks.choices import RotationState as TrunkRotationState
from trunks.models import IpAclEntry, RotationJob, Trunk, TrunkCredential

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
    # The rows read on the way, for the posture checks (no second read).
    teams: list[SubAccount] = field(default_factory=list)
    credentials: list[TrunkCredential] = field(default_factory=list)

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


def last_rotation(name: str, prefix: str) -> dict[str, Any]:
    """Annotations for the newest finished rotation of each row's secret.

    `last_<name>_at` and `last_<name>_by` (the actor's e-mail), matched on
    the object key "<prefix>:<pk>": one query per kind of holder, whatever the
    history.
    """
    done = RotationRecord.objects.filter(
        object_key=Concat(Value(f"{prefix}:"), Cast(OuterRef("pk"), CharField())),
        state=RotationState.DONE,
    ).order_by("-finished_at", "-pk")
    return {
        f"last_{name}_at": Subquery(done.values("finished_at")[:1]),
        f"last_{name}_by": Subquery(done.values("actor__email")[:1]),
    }


def _apply_rotation(item: SecretItem, row: Any, name: str) -> None:
    """Fill "last rotated" and "by whom"; the age counts from it when newer."""
    at = getattr(row, f"last_{name}_at", None)
    if at is None:
        return
    item.last_rotated_at = at
    item.rotated_by = getattr(row, f"last_{name}_by", None) or "system"
    if item.since is None or at > item.since:
        item.since = at


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


def _provider_items(provider: ProviderAccount, now: dt.datetime) -> list[SecretItem]:
    owner = f"Company ({provider.label})"
    items = []
    token = _held(
        SecretKind.MASTER_TOKEN,
        provider_key(provider),
        provider.auth_id,
        owner,
        provider.auth_token_rotated_at or provider.created_at,
    )
    _apply_rotation(token, provider, "token")
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
        _apply_rotation(password, provider, "console")
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


def _subaccount_items(now: dt.datetime, teams: list[SubAccount]) -> list[SecretItem]:
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
            _apply_rotation(item, team, "token")
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
        item = _held(
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
        items.append(_aged(item, now))
    return items


def trunk_rotation_url(trunk_pk: int) -> str:
    """Return the trunk app's page that starts a staged rotation of a trunk."""
    return url_or_blank("trunks:trunk_rotate", trunk_pk) or url_or_blank(
        "trunks:trunk_detail", trunk_pk
    )


def _channel_items(now: dt.datetime) -> list[SecretItem]:
    channels = (
        NotificationChannel.objects.filter(kind=ChannelKind.WEBHOOK)
        .annotate(**last_rotation("secret", "channel"))
        .order_by("name", "pk")
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
        _apply_rotation(item, channel, "secret")
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
        item = _held(
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
