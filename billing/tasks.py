"""Celery tasks of the billing app."""

from __future__ import annotations

import datetime as dt
from typing import Any

from celery import shared_task

from billing import sync
from portal.tasks import SYNC_TASK_OPTIONS, run_sync


@shared_task(**SYNC_TASK_OPTIONS)
def balance_snapshot(self: Any, provider_id: int | None = None) -> dict[str, Any]:
    """Record the current balance of each provider account."""
    return run_sync(self, sync.balance_snapshot, provider_id)


@shared_task(**SYNC_TASK_OPTIONS)
def transactions_sync(self: Any, provider_id: int | None = None) -> dict[str, Any]:
    """Sync the transactions ledger."""
    return run_sync(self, sync.transactions_sync, provider_id)


@shared_task(**SYNC_TASK_OPTIONS)
def cdrs_sync(
    self: Any, provider_id: int | None = None, since: str | None = None
) -> dict[str, Any]:
    """Sync call detail records from the cursor (or `since`, YYYY-MM-DD) to today."""
    start = dt.date.fromisoformat(since) if since else None
    return run_sync(self, sync.cdrs_sync, provider_id, since=start)


@shared_task(**SYNC_TASK_OPTIONS)
def rollups_check(self: Any, provider_id: int | None = None) -> dict[str, Any]:
    """Repair daily rollups that disagree with the raw CDRs (nightly)."""
    return run_sync(self, sync.rollups_check, provider_id)
