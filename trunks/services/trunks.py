"""Create, change and delete trunks: Vobiz first, then the database.

Every function calls Vobiz outside any transaction and changes the portal only
once Vobiz accepted the change, in one transaction with its audit event. A
Vobiz failure leaves as a `ProviderError` with nothing changed locally
(multi-call writes undo their earlier calls first).
"""

from __future__ import annotations

import contextlib

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record, snapshot
from accounts.models import SubAccount, User
from sync.errors import describe, provider_error, vobiz_errors
from trunks.choices import AuthType
from trunks.models import IpAclEntry, Trunk, TrunkCredential
from trunks.services.common import (
    TRUNK_AUDIT_FIELDS,
    owned_by,
    put_trunk,
    remote_times,
    team_client,
)
from trunks.services.credentials import credential_store
from trunks.signals import trunk_removed
from trunks.sync import acl_fields, trunk_fields
from trunks.validators import IpEntry, generate_sip_password
from vobiz import payloads
from vobiz.client import VobizClient
from vobiz.errors import NotFound, VobizError

# Vobiz's field names → the trunk form's, so its complaints land on the field.
TRUNK_FIELD_MAP = {
    "max_concurrent_calls": "concurrent_calls_limit",
    "trunk_type": "direction",
    "username": "username",
    "ip_address": "first_ip",
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
            cred = client.typed.create_credential(username, password)
            made.append(("credential", cred.id))
        if first_ip is not None:
            acl = client.typed.create_ip_acl(
                ip_description or first_ip.value, first_ip.value
            )
            made.append(("acl", acl.id))
        remote = client.typed.create_trunk(
            name,
            direction,
            concurrent_calls_limit,
            cps_limit=cps_limit,
            description=description or None,
            credential_uuid=cred.id if cred else None,
            ipacl_uuid=acl.id if acl else None,
        )
    except VobizError as exc:
        _undo(client, made)
        raise provider_error(exc, field_map=TRUNK_FIELD_MAP) from exc
    trunk = _save_new_trunk(actor, sub_account, remote, cred, password, acl)
    return trunk, password


@transaction.atomic
def _save_new_trunk(
    actor: User,
    sub_account: SubAccount,
    remote: payloads.Trunk,
    cred: payloads.TrunkCredential | None,
    password: str,
    acl: payloads.IpAclEntry | None,
) -> Trunk:
    now = timezone.now()
    owner = owned_by(sub_account, now)
    credential = None
    if cred is not None:
        credential = credential_store(
            cred, owner=owner, **remote_times(cred), password=password, rotated_at=now
        )
    trunk, _ = Trunk.objects.update_or_create(
        remote_id=remote.id,
        defaults={
            **owner,
            **trunk_fields(remote),
            **remote_times(remote),
            "credential": credential,
        },
    )
    if acl is not None:
        IpAclEntry.objects.update_or_create(
            remote_id=acl.id,
            defaults={**owner, **acl_fields(acl), **remote_times(acl), "trunk": trunk},
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
            "ip": acl.ip_address if acl else "",
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
    with vobiz_errors(field_map=TRUNK_FIELD_MAP):
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
    return _save_updated_trunk(actor, trunk, remote)


@transaction.atomic
def _save_updated_trunk(actor: User, trunk: Trunk, remote: payloads.Trunk) -> Trunk:
    locked: Trunk = Trunk.objects.select_for_update().get(pk=trunk.pk)
    before = snapshot(locked, TRUNK_AUDIT_FIELDS)
    for key, value in trunk_fields(remote).items():
        setattr(locked, key, value)
    locked.remote_updated_at = remote.updated_at
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
    # Already gone at Vobiz counts as deleted.
    with vobiz_errors(), contextlib.suppress(NotFound):
        client.delete_trunk(trunk.remote_id)
    gone, warnings = {trunk.ipacl_remote_id} - {""}, []
    others = IpAclEntry.objects.present().filter(trunk=trunk)
    for entry in others.exclude(remote_id=trunk.ipacl_remote_id):
        try:
            with contextlib.suppress(NotFound):
                client.delete_ip_acl(entry.remote_id)
        except VobizError as exc:
            warnings.append(
                f"{entry.ip_address} is still whitelisted at Vobiz: {describe(exc)}"
            )
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
