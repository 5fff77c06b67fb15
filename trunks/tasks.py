"""Celery tasks of the trunks app (thin: ids in, one service call).

The SIP password reminders are sent by `credentials.tasks.rotation_reminders_send`,
the one reminder task of every secret.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from sync.tasks import SYNC_TASK_OPTIONS, run_sync
from trunks.sync import trunks_sync as trunks_sync_service


@shared_task(**SYNC_TASK_OPTIONS)
def trunks_sync(self: Any, provider_id: int | None = None) -> dict[str, Any]:
    """Sync trunks, credentials and IP whitelist entries from Vobiz."""
    return run_sync(self, trunks_sync_service, provider_id)
