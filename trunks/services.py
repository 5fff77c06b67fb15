"""Writes for trunks and their IP whitelists: Vobiz first, then the database.

Every function calls Vobiz outside any transaction and changes the portal only
once Vobiz accepted the change, in one transaction with its audit event. A
`VobizError` propagates with nothing changed locally (multi-call writes undo
their earlier calls first). Password rotation lives in `trunks.rotation`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record, snapshot
from accounts.models import SubAccount, User
from trunks.choices import AuthType, HealthEventKind
from trunks.models import IpAclEntry, Trunk, TrunkCredential, TrunkHealthEvent
from trunks.remote import team_client
from trunks.signals import trunk_removed
from trunks.sync import acl_fields, credential_fields, trunk_fields
from trunks.validators import IpEntry, generate_sip_password
from vobiz.client import VobizClient
from vobiz.errors import NotFound, VobizError
from vobiz.parse import parse_datetime

TRUNK_AUDIT_FIELDS = (
    "name",
    "description",
    "direction",
    "status",
    "enabled",
    "concurrent_calls_limit",
    "cps_limit",
    "credential_remote_id",
    "ipacl_remote_id",
)


def put_trunk(client: VobizClient, trunk: Trunk, **overrides: Any) -> dict[str, Any]:
    """Send the trunk's whole state to Vobiz with some values changed.

    Vobiz's PUT replaces the trunk, so everything the portal knows is sent,
    including the attached credential and whitelist entry, or they could drop.
    """
    body: dict[str, Any] = {
        "name": trunk.name,
        "max_concurrent_calls": trunk.concurrent_calls_limit,
        "enabled": trunk.enabled,
        "cps_limit": trunk.cps_limit,
        "description": trunk.description,
        "trunk_type": trunk.direction.upper(),
        "credential_uuid": trunk.credential_remote_id or None,
        "ipacl_uuid": trunk.ipacl_remote_id or None,
    }
    body.update(overrides)
    return client.update_trunk(
        trunk.remote_id,
        name=body.pop("name"),
        max_concurrent_calls=body.pop("max_concurrent_calls"),
        enabled=body.pop("enabled"),
        **body,
    )


def _common(sub_account: SubAccount, now: dt.datetime) -> dict[str, Any]:
    return {
        "provider_account": sub_account.provider_account,
        "sub_account": sub_account,
        "account_auth_id": sub_account.auth_id or "",
        "synced_at": now,
        "removed_at": None,
    }


def _remote_times(remote: dict[str, Any]) -> dict[str, Any]:
    return {
        "remote_created_at": parse_datetime(remote.get("created_at")),
        "remote_updated_at": parse_datetime(remote.get("updated_at")),
    }


def _undo(client: VobizClient, made: list[tuple[str, str]]) -> None:
    """Delete what an unfinished multi-step create made at Vobiz (best effort).

    Anything that cannot be deleted now shows up unattached at the next sync.
    """
    for kind, remote_id in reversed(made):
        delete = (
            client.delete_credential if kind == "credential" else client.delete_ip_acl
        )
        with contextlib.suppress(VobizError):
            delete(remote_id)


def _check_team(sub_account: SubAccount) -> None:
    if sub_account.removed_at:
        raise ValidationError("This sub-account was deleted.")
    if not sub_account.auth_id:
        raise ValidationError(
            "Create the sub-account at Vobiz first; it has no auth id yet."
        )


def trunk_create(
    *,
    actor: User,
    sub_account: SubAccount,
    name: str,
    direction: str,
    concurrent_calls_limit: int,
    cps_limit: int,
    auth_type: str,
    description: str = "",
    username: str = "",
    first_ip: IpEntry | None = None,
    ip_description: str = "",
) -> tuple[Trunk, str]:
    """Create a trunk at Vobiz, with its credential and first whitelist entry.

    Password auth gets a credential (the portal generates the password) and IP
    auth a first whitelist entry, both attached to the new trunk. Return the
    trunk and the password ("" without password auth) to show once. If any
    step fails at Vobiz, the earlier ones are undone there and the portal is
    unchanged.
    """
    _check_team(sub_account)
    wants_password = auth_type in (AuthType.PASSWORD, AuthType.BOTH)
    if auth_type in (AuthType.IP, AuthType.BOTH) and first_ip is None:
        raise ValidationError({"first_ip": "IP authentication needs an address."})
    client = team_client(sub_account.provider_account, sub_account)
    password = generate_sip_password() if wants_password else ""
    made: list[tuple[str, str]] = []
    cred = acl = None
    try:
        if wants_password:
            cred = client.create_credential(username, password)
            made.append(("credential", str(cred["id"])))
        if first_ip is not None:
            acl = client.create_ip_acl(ip_description or first_ip.value, first_ip.value)
            made.append(("acl", str(acl["id"])))
        remote = client.create_trunk(
            name,
            direction,
            concurrent_calls_limit,
            cps_limit=cps_limit,
            description=description or None,
            credential_uuid=cred["id"] if cred else None,
            ipacl_uuid=acl["id"] if acl else None,
        )
    except VobizError:
        _undo(client, made)
        raise
    trunk = _save_new_trunk(actor, sub_account, remote, cred, password, acl)
    return trunk, password


@transaction.atomic
def _save_new_trunk(
    actor: User,
    sub_account: SubAccount,
    remote: dict[str, Any],
    cred: dict[str, Any] | None,
    password: str,
    acl: dict[str, Any] | None,
) -> Trunk:
    now = timezone.now()
    common = _common(sub_account, now)
    credential = None
    if cred is not None:
        credential, _ = TrunkCredential.objects.update_or_create(
            remote_id=str(cred["id"]),
            defaults={
                **common,
                **credential_fields(cred),
                **_remote_times(cred),
                "password": password,
                "rotated_at": now,
            },
        )
    trunk, _ = Trunk.objects.update_or_create(
        remote_id=str(remote["trunk_id"]),
        defaults={
            **common,
            **trunk_fields(remote),
            **_remote_times(remote),
            "credential": credential,
        },
    )
    if acl is not None:
        IpAclEntry.objects.update_or_create(
            remote_id=str(acl["id"]),
            defaults={
                **common,
                **acl_fields(acl),
                **_remote_times(acl),
                "trunk": trunk,
            },
        )
    audit_record(
        actor=actor,
        action="trunk.create",
        obj=trunk,
        sub_account=sub_account,
        after={
            **snapshot(trunk, TRUNK_AUDIT_FIELDS),
            "auth_type": trunk.auth_type,
            "username": credential.username if credential else "",
            "ip": acl_fields(acl)["ip_address"] if acl else "",
        },
    )
    return trunk


def trunk_update(
    *,
    actor: User,
    trunk: Trunk,
    name: str,
    direction: str,
    concurrent_calls_limit: int,
    cps_limit: int,
    enabled: bool,
    description: str = "",
) -> Trunk:
    """Change a trunk's name, direction, limits or enabled flag at Vobiz first."""
    if trunk.removed_at:
        raise ValidationError("This trunk was deleted.")
    client = team_client(trunk.provider_account, trunk.sub_account)
    remote = put_trunk(
        client,
        trunk,
        name=name,
        max_concurrent_calls=concurrent_calls_limit,
        enabled=enabled,
        cps_limit=cps_limit,
        description=description,
        trunk_type=direction.upper(),
    )
    with transaction.atomic():
        locked: Trunk = Trunk.objects.select_for_update().get(pk=trunk.pk)
        before = snapshot(locked, TRUNK_AUDIT_FIELDS)
        for key, value in trunk_fields(remote).items():
            setattr(locked, key, value)
        locked.remote_updated_at = parse_datetime(remote.get("updated_at"))
        locked.synced_at = timezone.now()
        locked.save()
        after = snapshot(locked, TRUNK_AUDIT_FIELDS)
        if before != after:
            audit_record(
                actor=actor,
                action="trunk.update",
                obj=locked,
                sub_account=locked.sub_account,
                before=before,
                after=after,
            )
    return locked


def trunk_delete(*, actor: User, trunk: Trunk) -> list[str]:
    """Delete a trunk at Vobiz, then mark it (and what hung off it) removed.

    Vobiz deletes the attached credential and whitelist entry with the trunk;
    the trunk's other whitelist entries are account-wide at Vobiz and deleted
    one by one afterwards. Return warnings for entries that could not be.
    """
    if trunk.removed_at:
        raise ValidationError("This trunk is already deleted.")
    client = team_client(trunk.provider_account, trunk.sub_account)
    with contextlib.suppress(NotFound):
        client.delete_trunk(trunk.remote_id)
    gone, warnings = {trunk.ipacl_remote_id} - {""}, []
    others = IpAclEntry.objects.present().filter(trunk=trunk)
    for entry in others.exclude(remote_id=trunk.ipacl_remote_id):
        try:
            with contextlib.suppress(NotFound):
                client.delete_ip_acl(entry.remote_id)
        except VobizError as exc:
            warnings.append(f"{entry.ip_address} is still whitelisted at Vobiz: {exc}")
            continue
        gone.add(entry.remote_id)
    _save_deleted_trunk(actor, trunk, gone)
    return warnings


@transaction.atomic
def _save_deleted_trunk(actor: User, trunk: Trunk, gone_acls: set[str]) -> None:
    now = timezone.now()
    locked = Trunk.objects.select_for_update().get(pk=trunk.pk)
    before = snapshot(locked, TRUNK_AUDIT_FIELDS)
    locked.removed_at = now
    locked.save(update_fields=["removed_at", "updated_at"])
    credential = locked.credential
    if credential and not credential.trunks.present().exclude(pk=locked.pk).exists():
        TrunkCredential.objects.filter(pk=credential.pk).update(removed_at=now)
    entries = IpAclEntry.objects.filter(trunk=locked, removed_at__isnull=True)
    entries.filter(remote_id__in=gone_acls).update(removed_at=now)
    entries.exclude(remote_id__in=gone_acls).update(trunk=None)
    # Vobiz unroutes the numbers that pointed at the trunk (phone_numbers hears).
    trunk_removed.send(sender=Trunk, trunk=locked, now=now)
    audit_record(
        actor=actor,
        action="trunk.delete",
        obj=locked,
        sub_account=locked.sub_account,
        before=before,
    )


def whitelist_of(trunk: Trunk) -> list[str]:
    """Return the canonical entries already whitelisted for the trunk's account."""
    entries = IpAclEntry.objects.present().filter(
        provider_account_id=trunk.provider_account_id,
        sub_account_id=trunk.sub_account_id,
    )
    return list(entries.values_list("ip_address", flat=True))


def ip_entry_add(
    *,
    actor: User,
    trunk: Trunk,
    entry: IpEntry,
    description: str = "",
    wide_confirmed: bool = False,
) -> IpAclEntry:
    """Whitelist an address or range for a trunk, at Vobiz first.

    The entry is created at the trunk's account; a trunk without an attached
    entry gets this one attached (`ipacl_uuid`). `entry` comes from
    `validators.validate_ip_entry`; duplicates are checked again here.
    """
    if trunk.removed_at:
        raise ValidationError("This trunk was deleted.")
    if entry.value in whitelist_of(trunk):
        raise ValidationError(
            {"ip_address": f"{entry.value} is already on this sub-account's whitelist."}
        )
    client = team_client(trunk.provider_account, trunk.sub_account)
    acl = client.create_ip_acl(description or entry.value, entry.value)
    attach = not trunk.ipacl_remote_id
    if attach:
        try:
            put_trunk(client, trunk, ipacl_uuid=acl["id"])
        except VobizError:
            with contextlib.suppress(VobizError):
                client.delete_ip_acl(str(acl["id"]))
            raise
    return _save_new_entry(actor, trunk, acl, attach, wide_confirmed)


@transaction.atomic
def _save_new_entry(
    actor: User,
    trunk: Trunk,
    acl: dict[str, Any],
    attach: bool,
    wide_confirmed: bool,
) -> IpAclEntry:
    now = timezone.now()
    common = {
        "provider_account_id": trunk.provider_account_id,
        "sub_account_id": trunk.sub_account_id,
        "account_auth_id": trunk.account_auth_id,
        "synced_at": now,
        "removed_at": None,
    }
    row, _ = IpAclEntry.objects.update_or_create(
        remote_id=str(acl["id"]),
        defaults={**common, **acl_fields(acl), **_remote_times(acl), "trunk": trunk},
    )
    if attach:
        Trunk.objects.filter(pk=trunk.pk).update(ipacl_remote_id=row.remote_id)
    audit_record(
        actor=actor,
        action="trunk.ip_added",
        obj=trunk,
        sub_account=trunk.sub_account,
        after={
            "ip_address": row.ip_address,
            "description": row.description,
            "wide_range_confirmed": wide_confirmed,
        },
    )
    return row


def ip_entry_remove(*, actor: User, entry: IpAclEntry) -> str:
    """Remove a whitelist entry at Vobiz, then in the portal; return a warning.

    The last entry of a trunk without password auth stays: removing it would
    leave the trunk without any authentication. When the removed entry was the
    one attached to the trunk, the next one is attached instead.
    """
    trunk = entry.trunk
    others = (
        IpAclEntry.objects.present().filter(trunk=trunk).exclude(pk=entry.pk)
        if trunk
        else IpAclEntry.objects.none()
    )
    if trunk and not trunk.removed_at and not trunk.credential_id and not others:
        raise ValidationError(
            f"{entry.ip_address} is the last whitelist entry of {trunk.name}, which "
            "has no password authentication. Add another entry first."
        )
    client = team_client(entry.provider_account, entry.sub_account)
    with contextlib.suppress(NotFound):
        client.delete_ip_acl(entry.remote_id)
    warning, attached = "", None
    was_attached = bool(trunk and trunk.ipacl_remote_id == entry.remote_id)
    following = others.first() if was_attached else None
    if trunk and following is not None:
        try:
            put_trunk(client, trunk, ipacl_uuid=following.remote_id)
            attached = following.remote_id
        except VobizError as exc:
            warning = f"Removed, but attaching {following.ip_address} failed: {exc}"
    _save_removed_entry(actor, entry, was_attached, attached)
    return warning


@transaction.atomic
def _save_removed_entry(
    actor: User, entry: IpAclEntry, was_attached: bool, attached: str | None
) -> None:
    IpAclEntry.objects.filter(pk=entry.pk).update(removed_at=timezone.now())
    trunk = entry.trunk
    if trunk is not None and was_attached:
        Trunk.objects.filter(pk=trunk.pk).update(ipacl_remote_id=attached or "")
    audit_record(
        actor=actor,
        action="trunk.ip_removed",
        obj=trunk or entry,
        sub_account=entry.sub_account,
        before={"ip_address": entry.ip_address, "description": entry.description},
    )


@transaction.atomic
def trunk_auth_failure_record(
    *, trunk: Trunk, source: str, detail: str = "", at: dt.datetime | None = None
) -> TrunkHealthEvent:
    """Record that traffic on a trunk failed authentication.

    Vobiz's REST API reports no SIP authentication failures; the trunk webhook
    (a CallInitiated event with Allowed false) is where they show. Whatever
    sees one calls this; `selectors.trunk_health` counts them.
    """
    return TrunkHealthEvent.objects.create(
        trunk=trunk,
        kind=HealthEventKind.AUTH_FAILURE,
        source=source[:32],
        detail=detail[:300],
        occurred_at=at or timezone.now(),
    )
