"""Celery tasks of the billing app."""

from __future__ import annotations

import datetime as dt
from typing import Any

from celery import shared_task
from django.conf import settings

from billing import sync
from sync.runs import mark_queued
from sync.tasks import SYNC_TASK_OPTIONS, providers, run_sync


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
    """Sync call detail records from the cursor (or `since`, YYYY-MM-DD) to today.

    A long backfill is done in slices: each run works for a bounded time, then
    queues the next slice from where it stopped.
    """
    start = dt.date.fromisoformat(since) if since else None
    results = run_sync(
        self,
        sync.cdrs_sync,
        provider_id,
        since=start,
        budget_seconds=settings.CDR_SYNC_BUDGET_SECONDS,
    )
    for provider in providers(provider_id):
        result = results.get(provider.auth_id)
        if isinstance(result, dict) and result.get("resume_from"):
            # Shown as queued on the API health page until the slice starts.
            mark_queued(provider.pk, "cdrs")
            cdrs_sync.delay(provider.pk, result["resume_from"])
    return results


@shared_task(**SYNC_TASK_OPTIONS)
def rollups_check(
    self: Any, provider_id: int | None = None, since: str | None = None
) -> dict[str, Any]:
    """Repair daily rollups that disagree with the raw CDRs (nightly: 35 days).

    `since` (YYYY-MM-DD) checks from that day instead.
    """
    start = dt.date.fromisoformat(since) if since else None
    return run_sync(self, sync.rollups_check, provider_id, since=start)
