"""The shape every sync task shares: which accounts, retries, skipping when busy.

Tasks stay thin: ids in, one service call. Only transient Vobiz errors are retried,
with the countdown Vobiz asked for (`Retry-After`) or the breaker's wait.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from celery import Task
from django.conf import settings

from accounts.models import ProviderAccount
from portal.provider import breaker_for
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


def countdown_for(error: VobizError, retries: int, provider: ProviderAccount) -> float:
    """Return how long to wait before retrying after a transient error.

    Vobiz's `Retry-After` (or the open breaker's wait) wins; an open breaker means
    any earlier retry would only be refused; otherwise back off exponentially.
    """
    asked = getattr(error, "retry_after", None)
    if asked:
        return float(asked)
    breaker = breaker_for(provider)
    state = breaker.state()
    if breaker.is_open() and state["opened_at"] is not None:
        wait = state["opened_at"] + state["open_for"] - time.time()
        return max(1.0, wait + 0.5)
    base = float(settings.SYNC_RETRY_BASE_SECONDS)
    return float(min(BACKOFF_CAP, base * 2**retries))


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
            countdown = countdown_for(error, task.request.retries, provider)
            raise task.retry(exc=error, countdown=countdown) from error
    return results
