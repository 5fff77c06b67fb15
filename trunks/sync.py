"""Mirror Vobiz's SIP trunks, credentials and IP whitelist entries."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import SubAccount
from accounts.selectors import owner_map
from core.models import SyncedModel
from sync.clients import client_for, sub_account_client
from sync.mirror import upsert_synced
from sync.models import ProviderAccount
from sync.runs import SyncRun, sync_run
from trunks.choices import HealthEventKind, TrunkStatus
from trunks.models import IpAclEntry, Trunk, TrunkCredential, TrunkHealthEvent
from vobiz.client import VobizClient
from vobiz.errors import AuthError, NotFound
from vobiz.parse import parse_datetime, parse_int, text

logger = logging.getLogger("trunks.sync")

TRUNK_DRIFT = (
    "name",
    "status",
    "direction",
    "enabled",
    "concurrent_calls_limit",
    "cps_limit",
)


def trunk_fields(remote: dict[str, Any]) -> dict[str, Any]:
    """Return the portal's Trunk fields for a Vobiz trunk object."""
    return {
        "name": text(remote.get("name"), 255),
        "description": text(remote.get("description"), 500),
        "domain": text(remote.get("trunk_domain"), 255),
        "direction": text(remote.get("trunk_direction"), 16, "outbound"),
        "status": text(remote.get("trunk_status"), 16, "active"),
        "enabled": bool(remote.get("enabled", True)),
        "secure": bool(remote.get("secure", False)),
        "transport": text(remote.get("transport"), 8, "udp"),
        "concurrent_calls_limit": parse_int(
            remote.get("concurrent_calls_limit") or 10, 10
        ),
        "cps_limit": parse_int(remote.get("cps_limit") or 2, 2),
        "credential_remote_id": text(remote.get("credential_uuid"), 64),
        "ipacl_remote_id": text(remote.get("ipacl_uuid"), 64),
    }


def credential_fields(remote: dict[str, Any]) -> dict[str, Any]:
    """Return the portal's TrunkCredential fields for a Vobiz credential."""
    return {
        "username": text(remote.get("username"), 64),
        "realm": text(remote.get("realm"), 255),
        "enabled": bool(remote.get("enabled", True)),
    }


def acl_fields(remote: dict[str, Any]) -> dict[str, Any]:
    """Return the portal's IpAclEntry fields for a Vobiz IP ACL entry."""
    return {
        "ip_address": text(remote.get("ip_address"), 18),
        "description": text(remote.get("description") or remote.get("name"), 255),
        "enabled": bool(remote.get("enabled", True)),
    }


def trunks_sync(*, provider: ProviderAccount) -> dict[str, Any]:
    """Upsert trunks, credentials and IP ACL entries; mark the vanished ones.

    Vobiz lists these per account, so the master's are read with the master's
    client and each sub-account's with its own (when the portal holds its
    token). A sub-account whose listing is refused is skipped, and its rows are
    not marked removed. Credentials go first so trunks can link to them. A
    trunk whose status or limits changed without the portal is recorded as
    changed outside the portal, and its status changes as health events.
    """
    with sync_run(provider, "trunks") as run:
        summary = run.summary
        owners = owner_map(provider)
        listing = _list_everything(provider, run)
        listed = listing.listed
        summary["credentials"] = _mirror(
            provider,
            TrunkCredential,
            listing.credentials,
            credential_fields,
            owners,
            listed=listed,
        )
        summary["ip_acl"] = _mirror(
            provider, IpAclEntry, listing.acls, acl_fields, owners, listed=listed
        )
        summary["trunks"] = _mirror(
            provider,
            Trunk,
            listing.trunks,
            trunk_fields,
            owners,
            on_drift=_trunk_drift,
            listed=listed,
        )
        summary["accounts"] = sorted(listed)
        summary["skipped_accounts"] = listing.skipped
        _link_credentials(provider)
        _link_acl_entries(provider)
    return summary


@dataclass
class _Listing:
    credentials: list[dict[str, Any]] = field(default_factory=list)
    acls: list[dict[str, Any]] = field(default_factory=list)
    trunks: list[dict[str, Any]] = field(default_factory=list)
    listed: set[str] = field(default_factory=set)
    skipped: list[str] = field(default_factory=list)


def _list_everything(provider: ProviderAccount, run: SyncRun) -> _Listing:
    """List every account's credentials, IP ACL entries and trunks."""
    listing = _Listing()
    sources: list[tuple[str, VobizClient | None]] = [
        (provider.auth_id, client_for(provider))
    ]
    teams = SubAccount.objects.filter(
        provider_account=provider, auth_id__isnull=False, removed_at__isnull=True
    ).exclude(auth_token="")
    sources += [(t.auth_id or "", sub_account_client(provider, t)) for t in teams]
    for auth_id, client in sources:
        if client is None:
            continue
        try:
            credentials = list(client.list_credentials())
            acls = list(client.list_ip_acl())
            trunks = list(client.list_trunks())
        except (AuthError, NotFound) as exc:
            if auth_id == provider.auth_id:
                raise
            logger.warning(
                "trunk sync skipped a sub-account",
                extra={"auth_id": auth_id, "error": type(exc).__name__},
            )
            listing.skipped.append(auth_id)
            continue
        listing.credentials += credentials
        listing.acls += acls
        listing.trunks += trunks
        listing.listed.add(auth_id)
        run.heartbeat()
    return listing


def _mirror(
    provider: ProviderAccount,
    model: type[SyncedModel],
    remotes: Iterable[dict[str, Any]],
    to_fields: Callable[[dict[str, Any]], dict[str, Any]],
    owners: dict[str, int],
    *,
    on_drift: Callable[[Any, dict[str, Any], dict[str, Any]], None] | None = None,
    listed: set[str] | None = None,
) -> dict[str, int]:
    """Upsert remote rows of one kind on their remote id; mark missing rows removed.

    Only rows of the accounts in `listed` can be missing (rows without an
    account id count as the master's).
    """
    id_key = "trunk_id" if model is Trunk else "id"
    counts = {"created": 0, "updated": 0, "unchanged": 0, "removed": 0}
    seen: set[str] = set()
    now = timezone.now()
    for remote in remotes:
        remote_id = text(remote.get(id_key), 64)
        if not remote_id:
            continue
        seen.add(remote_id)
        account = text(remote.get("account_id"), 40)
        fields = {
            **to_fields(remote),
            "account_auth_id": account,
            "sub_account_id": owners.get(account),
            "remote_created_at": parse_datetime(remote.get("created_at")),
            "remote_updated_at": parse_datetime(remote.get("updated_at")),
        }
        counts[_upsert_one(provider, model, remote_id, fields, now, on_drift)] += 1
    manager = model._default_manager
    candidates = manager.filter(provider_account=provider, removed_at__isnull=True)
    if listed is not None:
        candidates = candidates.filter(
            Q(account_auth_id__in=listed) | Q(account_auth_id="")
        )
    counts["removed"] = candidates.exclude(remote_id__in=seen).update(removed_at=now)
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
    result = upsert_synced(model, provider, {"remote_id": remote_id}, fields, now)
    if on_drift is not None and result.changed:
        on_drift(result.row, result.before, fields)
    return result.state


def _trunk_drift(trunk: Trunk, before: dict[str, Any], after: dict[str, Any]) -> None:
    keys = [k for k in TRUNK_DRIFT if before.get(k) != after.get(k)]
    if not keys:
        return
    action = "trunk.changed_outside"
    if "status" in keys and after["status"] != "active":
        action = "trunk.went_inactive"
    if "status" in keys:
        went = after["status"] != TrunkStatus.ACTIVE
        TrunkHealthEvent.objects.create(
            trunk=trunk,
            kind=HealthEventKind.WENT_INACTIVE
            if went
            else HealthEventKind.ACTIVE_AGAIN,
            source="sync",
            detail=f"Vobiz reports the trunk {after['status']}.",
            occurred_at=timezone.now(),
        )
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


def _link_acl_entries(provider: ProviderAccount) -> None:
    """Show each trunk's attached whitelist entry on that trunk.

    Links the portal set itself (entries added from a trunk page) are kept.
    """
    attached = Trunk.objects.filter(provider_account=provider).exclude(
        ipacl_remote_id=""
    )
    for trunk_id, remote_id in attached.values_list("pk", "ipacl_remote_id"):
        IpAclEntry.objects.filter(
            provider_account=provider, remote_id=remote_id, trunk__isnull=True
        ).update(trunk_id=trunk_id)
