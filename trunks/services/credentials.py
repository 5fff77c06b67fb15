"""SIP credentials (password auth): found at Vobiz, stored with their password.

Vobiz never returns a password, so the portal knows one only for the
credentials it created; it keeps it encrypted on the row.
"""

from __future__ import annotations

import contextlib
from typing import Any

from trunks.models import TrunkCredential
from trunks.sync import credential_fields
from vobiz import payloads
from vobiz.client import VobizClient
from vobiz.errors import NotFound


def credential_find(
    client: VobizClient, username: str
) -> payloads.TrunkCredential | None:
    """Return the account's credential with this username at Vobiz, if any.

    Usernames compare without case, as Vobiz compares them.
    """
    wanted = username.lower()
    for remote in client.typed.list_credentials():
        if remote.username.lower() == wanted:
            return remote
    return None


def credential_delete_remote(client: VobizClient, remote_id: str) -> None:
    """Delete a credential at Vobiz; one already gone counts as deleted."""
    with contextlib.suppress(NotFound):
        client.delete_credential(remote_id)


def credential_store(
    remote: payloads.TrunkCredential, *, owner: dict[str, Any], **extra: Any
) -> TrunkCredential:
    """Create or update the row of a credential Vobiz answered with.

    `owner` says which account it belongs to (`common.owned_by`/`owned_like`);
    `extra` sets the rest (the password, `rotated_at`, remote times).
    """
    credential, _ = TrunkCredential.objects.update_or_create(
        remote_id=remote.id,
        defaults={**owner, **credential_fields(remote), **extra},
    )
    return credential
