"""Celery tasks of the monitoring app: thin wrappers around services.

Schedules are in settings (CELERY_BEAT_SCHEDULE): alert evaluation and the
delivery retry sweep every minute, the synthetic test call every 15 minutes and
the API call log's and the alert history's retention daily.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from monitoring import services
from sync.tasks import SYNC_TASK_OPTIONS, providers

# Evaluation and sweeps are cheap and run again a minute later: no retries.
PERIODIC_OPTIONS: dict[str, Any] = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "ignore_result": True,
}


@shared_task(**PERIODIC_OPTIONS)
def alerts_evaluate() -> dict[str, int]:
    """Evaluate every alert rule."""
    return services.alerts_evaluate()


@shared_task(**PERIODIC_OPTIONS)
def deliveries_retry() -> dict[str, int]:
    """Send alert deliveries whose retry is due (and any whose task was lost)."""
    return services.deliveries_retry()


@shared_task(**PERIODIC_OPTIONS)
def delivery_send(delivery_id: int) -> str:
    """Make the first attempt of one alert delivery."""
    delivery = services.delivery_send(delivery_id=delivery_id)
    return delivery.status if delivery is not None else "not due"


@shared_task(**PERIODIC_OPTIONS)
def apicalls_prune() -> int:
    """Delete API call rows past the retention period."""
    return services.apicalls_prune()


@shared_task(**PERIODIC_OPTIONS)
def history_prune() -> dict[str, int]:
    """Delete notifications, finished deliveries and synthetic checks past retention."""
    return services.history_prune()


# A test call costs money and is never re-sent blindly, so no retries either.
@shared_task(**{**SYNC_TASK_OPTIONS, "bind": False, "max_retries": 0})
def synthetic_call(provider_id: int | None = None) -> dict[str, Any]:
    """Place the synthetic test call of each provider account."""
    results: dict[str, Any] = {}
    for provider in providers(provider_id):
        check = services.synthetic_call_run(provider=provider)
        results[provider.auth_id] = (
            "skipped" if check is None else ("ok" if check.ok else check.error)
        )
    return results
