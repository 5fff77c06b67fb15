"""Syncs on demand: an admin's "Sync now" on the API health page."""

from __future__ import annotations

import datetime as dt

from accounts.audit import audit_record
from accounts.models import User, require_admin
from sync.models import ProviderAccount
from sync.requests import sync_enqueue


def sync_request(
    *,
    actor: User,
    provider: ProviderAccount,
    kind: str,
    since: dt.date | None = None,
) -> str:
    """Queue one sync of one account now (admins); return what to tell the admin.

    The sync app checks and queues it (see `sync.requests.sync_enqueue`); the
    request is audited here.
    """
    require_admin(actor)
    message = sync_enqueue(provider=provider, kind=kind, since=since)
    audit_record(
        actor=actor,
        action="sync.requested",
        obj=provider,
        after={"kind": kind, "since": since.isoformat() if since else None},
    )
    return message
