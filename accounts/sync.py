"""Mirror Vobiz's sub-accounts into the portal."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record, snapshot
from accounts.models import SubAccount
from accounts.services import SUBACCOUNT_FIELDS
from sync.clients import client_for
from sync.models import ProviderAccount
from sync.runs import sync_run
from vobiz.parse import parse_int, text

# Fields Vobiz owns; a difference here that the portal did not make is drift.
MIRRORED = (
    "name",
    "description",
    "enabled",
    "rate_limit",
    "permit_calls",
    "permit_cdr",
)


def _remote_fields(remote: dict[str, Any]) -> dict[str, Any]:
    permissions = remote.get("permissions") or {}
    return {
        "name": text(remote.get("name") or remote.get("auth_id"), 100),
        "description": text(remote.get("description"), 500),
        "enabled": bool(remote.get("enabled", True)),
        # The column's check allows 1 to 100,000 requests per minute.
        "rate_limit": parse_int(
            remote.get("rate_limit") or 1000, 1000, low=1, high=100_000
        ),
        "permit_calls": bool(permissions.get("calls", True)),
        "permit_cdr": bool(permissions.get("cdr", True)),
    }


def sub_accounts_sync(*, provider: ProviderAccount) -> dict[str, int]:
    """Upsert every Vobiz sub-account on its auth id and mark the vanished ones.

    A remote change the portal did not make is recorded as an audit event
    "changed outside the portal".
    """
    with sync_run(provider, "sub_accounts") as run:
        summary = run.summary
        remotes = list(client_for(provider).list_sub_accounts())
        counts = {"created": 0, "updated": 0, "unchanged": 0, "removed": 0}
        seen: set[str] = set()
        for remote in remotes:
            auth_id = text(remote.get("auth_id"), 40)
            if not auth_id:
                continue
            seen.add(auth_id)
            counts[_upsert(provider, auth_id, remote)] += 1
        counts["removed"] = _mark_removed(provider, seen)
        summary.update(counts)
    return counts


@transaction.atomic
def _upsert(provider: ProviderAccount, auth_id: str, remote: dict[str, Any]) -> str:
    fields = _remote_fields(remote)
    now = timezone.now()
    local = SubAccount.objects.select_for_update().filter(auth_id=auth_id).first()
    if local is None:
        local = _adopt_by_name(provider, fields["name"])
    if local is None:
        created = SubAccount.objects.create(
            provider_account=provider,
            auth_id=auth_id,
            remote_id=text(remote.get("id"), 40),
            name=_free_name(provider, fields["name"], auth_id),
            synced_at=now,
            **{k: v for k, v in fields.items() if k != "name"},
        )
        audit_record(
            actor=None,
            action="subaccount.synced_new",
            obj=created,
            sub_account=created,
            after=snapshot(created, SUBACCOUNT_FIELDS),
        )
        return "created"
    return _apply(local, auth_id, remote, fields, now)


def _apply(
    local: SubAccount,
    auth_id: str,
    remote: dict[str, Any],
    fields: dict[str, Any],
    now: Any,
) -> str:
    before = snapshot(local, SUBACCOUNT_FIELDS)
    drift = {k: v for k, v in fields.items() if getattr(local, k) != v}
    if "name" in drift and _name_taken(local, fields["name"]):
        drift.pop("name")
    for key, value in drift.items():
        setattr(local, key, value)
    local.auth_id = auth_id
    local.remote_id = text(remote.get("id"), 40, local.remote_id)
    local.removed_at = None
    local.synced_at = now
    local.save()
    if not drift:
        return "unchanged"
    audit_record(
        actor=None,
        action="subaccount.changed_outside",
        obj=local,
        sub_account=local,
        before=before,
        after=snapshot(local, SUBACCOUNT_FIELDS),
    )
    return "updated"


def _adopt_by_name(provider: ProviderAccount, name: str) -> SubAccount | None:
    # A sub-account typed into the portal before Vobiz knew it: link, don't copy.
    return (
        SubAccount.objects.select_for_update()
        .filter(provider_account=provider, name__iexact=name, auth_id__isnull=True)
        .first()
    )


def _name_taken(local: SubAccount, name: str) -> bool:
    return (
        SubAccount.objects.filter(
            provider_account_id=local.provider_account_id, name__iexact=name
        )
        .exclude(pk=local.pk)
        .exists()
    )


def _free_name(provider: ProviderAccount, name: str, auth_id: str) -> str:
    clash = SubAccount.objects.filter(provider_account=provider, name__iexact=name)
    return f"{name[:80]} ({auth_id})" if clash.exists() else name


def _mark_removed(provider: ProviderAccount, seen: set[str]) -> int:
    gone = SubAccount.objects.filter(
        provider_account=provider, auth_id__isnull=False, removed_at__isnull=True
    ).exclude(auth_id__in=seen)
    count = 0
    for local in gone:
        with transaction.atomic():
            SubAccount.objects.filter(pk=local.pk).update(
                removed_at=timezone.now(), enabled=False
            )
            audit_record(
                actor=None,
                action="subaccount.removed_outside",
                obj=local,
                sub_account=local,
                before=snapshot(local, SUBACCOUNT_FIELDS),
            )
        count += 1
    return count
