"""What every trunk write shares: the client that may act, the whole-trunk PUT.

Vobiz keeps trunks, credentials and IP ACL entries per account: the master
(`MA_`) account cannot see or change a sub-account's (`/Account/SA_…/trunks`
needs the sub-account's own auth id and token). So the portal acts on a team's
trunks with that team's client, which exists only while the portal holds its
token (sub-accounts created through the portal always do).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from accounts.models import SubAccount
from core.errors import ProviderError
from sync.clients import client_for, sub_account_client
from sync.models import ProviderAccount
from trunks.models import Trunk
from vobiz import payloads
from vobiz.client import VobizClient

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


def team_client(
    provider: ProviderAccount, sub_account: SubAccount | None
) -> VobizClient:
    """Return the interactive client of the account that owns the objects.

    Raises ProviderError (kind "no_access") when the portal holds no token for
    the sub-account.
    """
    if sub_account is None:
        return client_for(provider, interactive=True)
    client = sub_account_client(provider, sub_account, interactive=True)
    if client is None:
        raise ProviderError(
            f"The portal does not hold the auth token of “{sub_account.name}”, so "
            "it cannot change its trunks at Vobiz. Sub-accounts created through "
            "the portal have one.",
            kind="no_access",
        )
    return client


def put_trunk(client: VobizClient, trunk: Trunk, **overrides: Any) -> payloads.Trunk:
    """Send the trunk's whole state to Vobiz with some values changed.

    Vobiz's PUT replaces the trunk, so everything the portal knows is sent,
    including the attached credential and whitelist entry, or they could drop.
    Vobiz errors pass through: the caller decides what they mean.
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
    return client.typed.update_trunk(
        trunk.remote_id,
        name=body.pop("name"),
        max_concurrent_calls=body.pop("max_concurrent_calls"),
        enabled=body.pop("enabled"),
        **body,
    )


def owned_by(sub_account: SubAccount, now: dt.datetime) -> dict[str, Any]:
    """Return the fields saying which account owns a new row, synced now."""
    return {
        "provider_account": sub_account.provider_account,
        "sub_account": sub_account,
        "account_auth_id": sub_account.auth_id or "",
        "synced_at": now,
        "removed_at": None,
    }


def owned_like(trunk: Trunk, now: dt.datetime) -> dict[str, Any]:
    """Return the fields saying a new row belongs where the trunk does, synced now."""
    return {
        "provider_account_id": trunk.provider_account_id,
        "sub_account_id": trunk.sub_account_id,
        "account_auth_id": trunk.account_auth_id,
        "synced_at": now,
        "removed_at": None,
    }


def remote_times(
    remote: payloads.Trunk | payloads.TrunkCredential | payloads.IpAclEntry,
) -> dict[str, Any]:
    """Return the remote timestamps of a Vobiz object as model fields."""
    return {
        "remote_created_at": remote.created_at,
        "remote_updated_at": remote.updated_at,
    }
