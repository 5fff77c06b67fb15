"""Balance snapshots: one row per reading of the account's balance."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils import timezone

from billing.models import BalanceSnapshot
from sync.models import ProviderAccount


def balance_snapshot_store(
    *, provider: ProviderAccount, fields: Mapping[str, Any]
) -> BalanceSnapshot:
    """Store a balance of `provider` read just now (`billing.sync.balance_fields`)."""
    return BalanceSnapshot.objects.create(
        provider_account=provider, taken_at=timezone.now(), **fields
    )
