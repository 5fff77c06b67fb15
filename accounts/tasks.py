"""Celery tasks of the accounts app."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from accounts.sync import sub_accounts_sync as sub_accounts_sync_service
from sync.tasks import SYNC_TASK_OPTIONS, run_sync


@shared_task(**SYNC_TASK_OPTIONS)
def sub_accounts_sync(self: Any, provider_id: int | None = None) -> dict[str, Any]:
    """Sync sub-accounts from Vobiz."""
    return run_sync(self, sub_accounts_sync_service, provider_id)
