"""Celery tasks of the phone numbers app."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from phone_numbers.sync import numbers_sync as numbers_sync_service
from portal.tasks import SYNC_TASK_OPTIONS, run_sync


@shared_task(**SYNC_TASK_OPTIONS)
def numbers_sync(self: Any, provider_id: int | None = None) -> dict[str, Any]:
    """Sync owned numbers from Vobiz."""
    return run_sync(self, numbers_sync_service, provider_id)
