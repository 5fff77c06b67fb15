"""The transactions ledger: rows upserted on their Vobiz id."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from billing.models import Transaction
from sync.models import ProviderAccount

# What Vobiz may still change on a ledger row it sent before.
LATE_FIELDS = ["status", "processed_at", "description"]


def transactions_upsert(
    *, provider: ProviderAccount, rows: Sequence[Mapping[str, Any]]
) -> set[str]:
    """Insert new ledger rows and update the late fields of known ones.

    `rows` are `billing.sync.transaction_fields`. Return the remote ids that were
    stored already.
    """
    known = set(
        Transaction.objects.filter(
            remote_id__in=[row["remote_id"] for row in rows]
        ).values_list("remote_id", flat=True)
    )
    Transaction.objects.bulk_create(
        [Transaction(provider_account=provider, **row) for row in rows],
        update_conflicts=True,
        unique_fields=["remote_id"],
        update_fields=LATE_FIELDS,
    )
    return known
