"""Mirror Vobiz's SIP trunks, credentials and IP whitelist entries.

The field mapping of each payload and the trunk's drift rules; the loop is
`sync.mirror`. Vobiz lists these per account, so the master's are read with
the master's client and each sub-account's with its own.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Model, Q, QuerySet
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import SubAccount
from accounts.selectors import owner_map
from sync.clients import client_for, sub_account_client
from sync.mirror import Fields, Mirror, mirror
from sync.models import ProviderAccount
from sync.runs import SyncRun, sync_run
from trunks.choices import HealthEventKind, TrunkStatus
from trunks.models import IpAclEntry, Trunk, TrunkCredential, TrunkHealthEvent
from vobiz import payloads
from vobiz.client import VobizClient
from vobiz.errors import AuthError, NotFound

logger = logging.getLogger("trunks.sync")

# A change of these, made outside the portal, is recorded as drift.
TRUNK_DRIFT = (
    "name",
    "status",
    "direction",
    "enabled",
    "concurrent_calls_limit",
    "cps_limit",
)

Remote = payloads.Trunk | payloads.TrunkCredential | payloads.IpAclEntry


def trunk_fields(remote: payloads.Trunk) -> Fields:
    """Return the portal's Trunk fields for a Vobiz trunk."""
    return {
        "name": remote.name,
        "description": remote.description,
        "domain": remote.domain,
        "direction": remote.direction,
        "status": remote.status,
        "enabled": remote.enabled,
        "secure": remote.secure,
        "transport": remote.transport,
        "concurrent_calls_limit": remote.concurrent_calls_limit,
        "cps_limit": remote.cps_limit,
        "credential_remote_id": remote.credential_id,
        "ipacl_remote_id": remote.ipacl_id,
    }


def credential_fields(remote: payloads.TrunkCredential) -> Fields:
    """Return the portal's TrunkCredential fields for a Vobiz credential."""
    return {
        "username": remote.username,
        "realm": remote.realm,
        "enabled": remote.enabled,
    }


def acl_fields(remote: payloads.IpAclEntry) -> Fields:
    """Return the portal's IpAclEntry fields for a Vobiz IP ACL entry."""
    return {
        "ip_address": remote.ip_address,
        "description": remote.description,
        "enabled": remote.enabled,
    }


def _trunk_drift(trunk: Trunk, before: Fields, after: Fields) -> None:
    """Record a trunk changed outside the portal; a status change is health too."""
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


def _spec(
    model: type[Model],
    to_fields: Callable[[Any], Fields],
    owners: dict[str, int],
    **hooks: Any,
) -> Mirror[Any]:
    """Describe one kind: its own fields plus the owning account and times."""

    def fields(remote: Remote) -> Fields:
        return {
            **to_fields(remote),
            "account_auth_id": remote.account_auth_id,
            "sub_account_id": owners.get(remote.account_auth_id),
            "remote_created_at": remote.created_at,
            "remote_updated_at": remote.updated_at,
        }

    return Mirror(
        model=model,
        key_field="remote_id",
        key=lambda remote: remote.id,
        fields=fields,
        **hooks,
    )


def _listed_rows(
    model: type[Model], provider: ProviderAccount, listed: set[str]
) -> QuerySet[Any]:
    """Return the rows that may be missing: those of the accounts listed.

    Rows without an account id count as the master's.
    """
    return model._default_manager.filter(provider_account=provider).filter(
        Q(account_auth_id__in=listed) | Q(account_auth_id="")
    )


def trunks_sync(*, provider: ProviderAccount) -> dict[str, Any]:
    """Upsert trunks, credentials and IP ACL entries; mark the vanished ones.

    A sub-account whose listing is refused is skipped, and its rows are not
    marked removed. Credentials go first so trunks can link to them. A trunk
    whose status or limits changed without the portal is recorded as changed
    outside the portal, and its status changes as health events.
    """
    with sync_run(provider, "trunks") as run:
        summary = run.summary
        owners = owner_map(provider)
        listing = _list_everything(provider, run)
        credentials = _spec(TrunkCredential, credential_fields, owners)
        acls = _spec(IpAclEntry, acl_fields, owners)
        trunks = _spec(Trunk, trunk_fields, owners, changed=_trunk_drift)
        kinds: list[tuple[str, Mirror[Any], list[Any]]] = [
            ("credentials", credentials, listing.credentials),
            ("ip_acl", acls, listing.acls),
            ("trunks", trunks, listing.trunks),
        ]
        for name, spec, remotes in kinds:
            summary[name] = mirror(
                spec,
                provider=provider,
                remotes=remotes,
                scope=_listed_rows(spec.model, provider, listing.listed),
            )
        summary["accounts"] = sorted(listing.listed)
        summary["skipped_accounts"] = listing.skipped
        _link_credentials(provider)
        _link_acl_entries(provider)
    return summary


@dataclass
class _Listing:
    credentials: list[payloads.TrunkCredential] = field(default_factory=list)
    acls: list[payloads.IpAclEntry] = field(default_factory=list)
    trunks: list[payloads.Trunk] = field(default_factory=list)
    listed: set[str] = field(default_factory=set)
    skipped: list[str] = field(default_factory=list)


def _sources(provider: ProviderAccount) -> list[tuple[str, VobizClient | None]]:
    """Return the master's client and each sub-account's whose token is held."""
    sources: list[tuple[str, VobizClient | None]] = [
        (provider.auth_id, client_for(provider))
    ]
    teams = SubAccount.objects.filter(
        provider_account=provider, auth_id__isnull=False, removed_at__isnull=True
    ).exclude(auth_token="")
    sources += [(t.auth_id or "", sub_account_client(provider, t)) for t in teams]
    return sources


def _list_everything(provider: ProviderAccount, run: SyncRun) -> _Listing:
    """List every account's credentials, IP ACL entries and trunks."""
    listing = _Listing()
    for auth_id, client in _sources(provider):
        if client is None:
            continue
        try:
            credentials = list(client.typed.list_credentials())
            acls = list(client.typed.list_ip_acl())
            trunks = list(client.typed.list_trunks())
        except (AuthError, NotFound) as exc:
            # A sub-account's refusal skips it; the master's fails the sync.
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
