"""Mirror the numbers the company owns at Vobiz."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.selectors import owner_map
from phone_numbers.models import PhoneNumber
from sync.clients import client_for
from sync.mirror import upsert_synced
from sync.models import ProviderAccount
from sync.runs import sync_run
from trunks.models import Trunk
from vobiz.parse import parse_datetime, parse_decimal, text

DRIFT = ("status", "account_auth_id", "trunk_remote_id")


def _fields(
    remote: dict[str, Any], owners: dict[str, int], trunks: dict[str, int]
) -> dict[str, Any]:
    account = text(remote.get("account_id"), 40)
    trunk_remote = text(remote.get("trunk_group_id"), 64)
    return {
        "remote_id": text(remote.get("id"), 64),
        "country": text(remote.get("country"), 2),
        "region": text(remote.get("region"), 100),
        "status": text(remote.get("status"), 24, "active"),
        "setup_fee": parse_decimal(remote.get("setup_fee")),
        "monthly_fee": parse_decimal(remote.get("monthly_fee")),
        "currency": text(remote.get("currency"), 3, "INR"),
        "account_auth_id": account,
        "sub_account_id": owners.get(account),
        "trunk_remote_id": trunk_remote,
        "trunk_id": trunks.get(trunk_remote),
        "purchased_at": parse_datetime(remote.get("purchased_at")),
        "released_at": parse_datetime(remote.get("released_at")),
        "remote_created_at": parse_datetime(remote.get("created_at")),
        "remote_updated_at": parse_datetime(remote.get("updated_at")),
    }


def numbers_sync(*, provider: ProviderAccount) -> dict[str, int]:
    """Upsert every owned number on its E.164 and mark numbers no longer owned."""
    with sync_run(provider, "numbers") as run:
        summary = run.summary
        owners = owner_map(provider)
        trunks = dict(
            Trunk.objects.filter(provider_account=provider).values_list(
                "remote_id", "pk"
            )
        )
        counts = {"created": 0, "updated": 0, "unchanged": 0, "removed": 0}
        seen: set[str] = set()
        now = timezone.now()
        for remote in client_for(provider).list_numbers():
            e164 = str(remote.get("e164") or "")
            if not e164:
                continue
            seen.add(e164)
            counts[_upsert(provider, e164, _fields(remote, owners, trunks), now)] += 1
        counts["removed"] = (
            PhoneNumber.objects.filter(
                provider_account=provider, removed_at__isnull=True
            )
            .exclude(e164__in=seen)
            .update(removed_at=now, status="released")
        )
        summary.update(counts)
    return counts


@transaction.atomic
def _upsert(
    provider: ProviderAccount, e164: str, fields: dict[str, Any], now: Any
) -> str:
    result = upsert_synced(PhoneNumber, provider, {"e164": e164}, fields, now)
    drift = [k for k in DRIFT if k in result.changed]
    if drift:
        audit_record(
            actor=None,
            action="number.changed_outside",
            obj=result.row,
            sub_account=result.row.sub_account,
            before={k: result.before[k] for k in drift},
            after={k: fields[k] for k in drift},
        )
    return result.state
