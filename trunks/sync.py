"""Mirror Vobiz's SIP trunks, credentials and IP whitelist entries."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import ProviderAccount
from portal.provider import client_for
from portal.sync import owner_map, parse_datetime, sync_run
from trunks.models import IpAclEntry, SyncedModel, Trunk, TrunkCredential

TRUNK_DRIFT = (
    "name",
    "status",
    "direction",
    "enabled",
    "concurrent_calls_limit",
    "cps_limit",
)


def _trunk_fields(remote: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": (remote.get("name") or "")[:255],
        "description": (remote.get("description") or "")[:500],
        "domain": remote.get("trunk_domain") or "",
        "direction": remote.get("trunk_direction") or "outbound",
        "status": remote.get("trunk_status") or "active",
        "enabled": bool(remote.get("enabled", True)),
        "secure": bool(remote.get("secure", False)),
        "transport": remote.get("transport") or "udp",
        "concurrent_calls_limit": int(remote.get("concurrent_calls_limit") or 10),
        "cps_limit": int(remote.get("cps_limit") or 2),
        "credential_remote_id": remote.get("credential_uuid") or "",
        "ipacl_remote_id": remote.get("ipacl_uuid") or "",
    }


def _credential_fields(remote: dict[str, Any]) -> dict[str, Any]:
    return {
        "username": (remote.get("username") or "")[:64],
        "realm": remote.get("realm") or "",
        "enabled": bool(remote.get("enabled", True)),
    }


def _acl_fields(remote: dict[str, Any]) -> dict[str, Any]:
    return {
        "ip_address": (remote.get("ip_address") or "")[:18],
        "description": (remote.get("description") or remote.get("name") or "")[:255],
        "enabled": bool(remote.get("enabled", True)),
    }


def trunks_sync(*, provider: ProviderAccount) -> dict[str, dict[str, int]]:
    """Upsert trunks, credentials and IP ACL entries; mark the vanished ones.

    Credentials go first so trunks can link to them. A trunk whose status or
    limits changed without the portal is recorded as changed outside the portal.
    """
    with sync_run(provider, "trunks") as run:
        summary = run.summary
        client = client_for(provider)
        owners = owner_map(provider)
        summary["credentials"] = _mirror(
            provider,
            TrunkCredential,
            client.list_credentials(),
            _credential_fields,
            owners,
        )
        summary["ip_acl"] = _mirror(
            provider, IpAclEntry, client.list_ip_acl(), _acl_fields, owners
        )
        summary["trunks"] = _mirror(
            provider,
            Trunk,
            client.list_trunks(),
            _trunk_fields,
            owners,
            on_drift=_trunk_drift,
        )
        _link_credentials(provider)
    return summary


def _mirror(
    provider: ProviderAccount,
    model: type[SyncedModel],
    remotes: Iterable[dict[str, Any]],
    to_fields: Callable[[dict[str, Any]], dict[str, Any]],
    owners: dict[str, int],
    *,
    on_drift: Callable[[Any, dict[str, Any], dict[str, Any]], None] | None = None,
) -> dict[str, int]:
    """Upsert remote rows of one kind on their remote id; mark missing rows removed."""
    id_key = "trunk_id" if model is Trunk else "id"
    counts = {"created": 0, "updated": 0, "unchanged": 0, "removed": 0}
    seen: set[str] = set()
    now = timezone.now()
    for remote in remotes:
        remote_id = str(remote.get(id_key) or "")
        if not remote_id:
            continue
        seen.add(remote_id)
        account = str(remote.get("account_id") or "")
        fields = {
            **to_fields(remote),
            "account_auth_id": account,
            "sub_account_id": owners.get(account),
            "remote_created_at": parse_datetime(remote.get("created_at")),
            "remote_updated_at": parse_datetime(remote.get("updated_at")),
        }
        counts[_upsert_one(provider, model, remote_id, fields, now, on_drift)] += 1
    manager = model._default_manager
    counts["removed"] = (
        manager.filter(provider_account=provider, removed_at__isnull=True)
        .exclude(remote_id__in=seen)
        .update(removed_at=now)
    )
    return counts


@transaction.atomic
def _upsert_one(
    provider: ProviderAccount,
    model: type[SyncedModel],
    remote_id: str,
    fields: dict[str, Any],
    now: Any,
    on_drift: Callable[[Any, dict[str, Any], dict[str, Any]], None] | None,
) -> str:
    manager = model._default_manager
    local = manager.select_for_update().filter(remote_id=remote_id).first()
    if local is None:
        manager.create(  # type: ignore[misc]
            provider_account=provider, remote_id=remote_id, synced_at=now, **fields
        )
        return "created"
    before = {k: getattr(local, k) for k in fields}
    changed = {k: v for k, v in fields.items() if before[k] != v}
    for key, value in changed.items():
        setattr(local, key, value)
    local.synced_at = now
    local.removed_at = None
    local.save()
    if on_drift is not None and changed:
        on_drift(local, before, fields)
    return "updated" if changed else "unchanged"


def _trunk_drift(trunk: Trunk, before: dict[str, Any], after: dict[str, Any]) -> None:
    keys = [k for k in TRUNK_DRIFT if before.get(k) != after.get(k)]
    if not keys:
        return
    action = "trunk.changed_outside"
    if "status" in keys and after["status"] != "active":
        action = "trunk.went_inactive"
    audit_record(
        actor=None,
        action=action,
        obj=trunk,
        sub_account=trunk.sub_account,
        before={k: before[k] for k in keys},
        after={k: after[k] for k in keys},
    )


def _link_credentials(provider: ProviderAccount) -> None:
    """Point each trunk at the credential row its credential_uuid names."""
    by_remote = dict(
        TrunkCredential.objects.filter(provider_account=provider).values_list(
            "remote_id", "pk"
        )
    )
    for trunk in Trunk.objects.filter(provider_account=provider):
        wanted = (
            by_remote.get(trunk.credential_remote_id)
            if trunk.credential_remote_id
            else None
        )
        if trunk.credential_id != wanted:
            Trunk.objects.filter(pk=trunk.pk).update(credential_id=wanted)
