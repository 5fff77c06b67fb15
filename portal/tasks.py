"""The shape every sync task shares: which accounts, retries, skipping when busy.

Tasks stay thin: ids in, one service call. Only transient Vobiz errors are retried,
with the countdown Vobiz asked for (`Retry-After`) or the breaker's wait.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from celery import Task

from accounts.models import ProviderAccount
from portal.sync import SyncBusy
from vobiz.errors import VobizError

logger = logging.getLogger("portal.tasks")

# Idempotent tasks: a worker killed mid-task hands it back to the broker.
SYNC_TASK_OPTIONS: dict[str, Any] = {
    "bind": True,
    "acks_late": True,
    "reject_on_worker_lost": True,
    "max_retries": 8,
}
BACKOFF_CAP = 600


def providers(provider_id: int | None) -> list[ProviderAccount]:
    """Return the one provider account named, or all of them."""
    queryset = ProviderAccount.objects.order_by("pk")
    if provider_id is not None:
        queryset = queryset.filter(pk=provider_id)
    return list(queryset)


def countdown_for(error: VobizError, retries: int) -> float:
    """Return how long to wait before retrying after a transient error."""
    asked = getattr(error, "retry_after", None)
    if asked:
        return float(asked)
    return float(min(BACKOFF_CAP, 30 * 2**retries))


def run_sync(
    task: Task,
    service: Callable[..., Any],
    provider_id: int | None,
    **kwargs: Any,
) -> dict[str, Any]:
    """Run a sync service for each provider account, the Celery way."""
    results: dict[str, Any] = {}
    for provider in providers(provider_id):
        try:
            results[provider.auth_id] = service(provider=provider, **kwargs)
        except SyncBusy:
            results[provider.auth_id] = "skipped: already running"
        except VobizError as error:
            if not error.transient:
                raise
            raise task.retry(
                exc=error, countdown=countdown_for(error, task.request.retries)
            ) from error
    return results
