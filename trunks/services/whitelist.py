"""A trunk's IP whitelist (IP auth): entries added and removed at Vobiz first.

Vobiz keeps whitelist entries per account and attaches one of them to a trunk
(`ipacl_uuid`); the portal shows each entry on the trunk it was added for.
"""

from __future__ import annotations

import contextlib

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import User
from sync.errors import describe, provider_error, vobiz_errors
from trunks.models import IpAclEntry, Trunk
from trunks.services.common import owned_like, put_trunk, remote_times, team_client
from trunks.sync import acl_fields
from trunks.validators import IpEntry
from vobiz import payloads
from vobiz.errors import NotFound, VobizError

# Vobiz's field names → the whitelist form's.
ENTRY_FIELD_MAP = {"ip_address": "ip_address", "name": "description"}


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
    with vobiz_errors(field_map=ENTRY_FIELD_MAP):
        acl = client.typed.create_ip_acl(description or entry.value, entry.value)
    attach = not trunk.ipacl_remote_id
    if attach:
        try:
            put_trunk(client, trunk, ipacl_uuid=acl.id)
        except VobizError as exc:
            # An entry the trunk cannot use would only confuse: take it back.
            with contextlib.suppress(VobizError):
                client.delete_ip_acl(acl.id)
            raise provider_error(exc, field_map=ENTRY_FIELD_MAP) from exc
    return _save_new_entry(actor, trunk, acl, attach, wide_confirmed)


@transaction.atomic
def _save_new_entry(
    actor: User,
    trunk: Trunk,
    acl: payloads.IpAclEntry,
    attach: bool,
    wide_confirmed: bool,
) -> IpAclEntry:
    row, _ = IpAclEntry.objects.update_or_create(
        remote_id=acl.id,
        defaults={
            **owned_like(trunk, timezone.now()),
            **acl_fields(acl),
            **remote_times(acl),
            "trunk": trunk,
        },
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
    # Already gone at Vobiz counts as removed.
    with vobiz_errors(), contextlib.suppress(NotFound):
        client.delete_ip_acl(entry.remote_id)
    warning, attached = "", None
    was_attached = bool(trunk and trunk.ipacl_remote_id == entry.remote_id)
    following = others.first() if was_attached else None
    if trunk and following is not None:
        try:
            put_trunk(client, trunk, ipacl_uuid=following.remote_id)
            attached = following.remote_id
        except VobizError as exc:
            warning = (
                f"Removed, but attaching {following.ip_address} failed: {describe(exc)}"
            )
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
