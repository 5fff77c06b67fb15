"""Celery tasks of the phone numbers app: thin wrappers around the services."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from phone_numbers.models import NumberRequest
from phone_numbers.services import purchase
from phone_numbers.sync import numbers_sync as numbers_sync_service
from sync.tasks import SYNC_TASK_OPTIONS, countdown_for, run_sync
from vobiz.errors import VobizError


@shared_task(**SYNC_TASK_OPTIONS)
def numbers_sync(self: Any, provider_id: int | None = None) -> dict[str, Any]:
    """Sync owned numbers from Vobiz."""
    return run_sync(self, numbers_sync_service, provider_id)


@shared_task(**SYNC_TASK_OPTIONS)
def number_request_fulfil(self: Any, request_id: int) -> dict[str, int]:
    """Buy the numbers of an approved request; safe to run twice or after a kill.

    Transient Vobiz errors retry with Vobiz's countdown (Retry-After, the open
    breaker's wait, else backoff); a row held by another worker retries once
    its lease ends.
    """
    try:
        return purchase.number_request_fulfil(request_id=request_id)
    except purchase.PurchaseBusy as busy:
        raise self.retry(countdown=busy.retry_in) from busy
    except VobizError as error:
        if not error.transient:
            raise
        provider = NumberRequest.objects.get(pk=request_id).provider_account
        countdown = countdown_for(error, self.request.retries, provider)
        raise self.retry(exc=error, countdown=countdown) from error


@shared_task(**SYNC_TASK_OPTIONS)
def number_requests_resume(self: Any) -> list[int]:
    """Queue the purchase again for approved requests that stopped moving."""
    stalled = purchase.number_requests_stalled()
    for request_id in stalled:
        number_request_fulfil.delay(request_id)
    return stalled
