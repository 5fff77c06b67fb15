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
from django.core.cache import cache

from sync.clients import breaker_for, forget_clients
from sync.models import ProviderAccount
from sync.runs import SyncBusy
from vobiz.errors import AuthError, VobizError

logger = logging.getLogger("sync.tasks")

# Idempotent tasks: a worker killed mid-task hands it back to the broker.
SYNC_TASK_OPTIONS: dict[str, Any] = {
    "bind": True,
    "acks_late": True,
    "reject_on_worker_lost": True,
    "max_retries": 8,
}
BACKOFF_CAP = 600
# While a credential of an account is being rotated (credentials.services marks
# it), a sync that meets a 401 waits for the new credential instead of failing.
ROTATION_MARK_SECONDS = 60
ROTATION_RETRY_SECONDS = 5


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
    Never longer than `longest_countdown()`.
    """
    return min(_wanted_countdown(error, retries, provider), longest_countdown())


def longest_countdown() -> float:
    """Return the longest retry countdown that is safe with the broker.

    A worker holds a retried task unacknowledged until its countdown ends; held
    past the visibility timeout, Redis hands it to a second worker as well. So a
    longer wait is cut to half the timeout: the early retry meets another 429,
    whose Retry-After starts the next wait.
    """
    return settings.CELERY_VISIBILITY_TIMEOUT / 2


def _wanted_countdown(
    error: VobizError, retries: int, provider: ProviderAccount
) -> float:
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


def rotation_key(provider_id: int) -> str:
    """Return the cache key that says a credential of an account is being rotated."""
    return f"vobiz:rotating:{provider_id}"


def rotation_begin(provider_id: int) -> None:
    """Mark an account's credentials as being rotated (for a minute at most)."""
    cache.set(rotation_key(provider_id), 1, ROTATION_MARK_SECONDS)


def rotation_end(provider_id: int) -> None:
    """Clear the mark once the new credential is stored (or the rotation failed)."""
    cache.delete(rotation_key(provider_id))


def rotation_in_progress(provider_id: int) -> bool:
    """Say whether a credential of the account is being rotated right now."""
    return bool(cache.get(rotation_key(provider_id)))


def _credentials(provider: ProviderAccount) -> tuple[str, str]:
    # Ciphertexts: a new value means a new token or password, without decrypting.
    return (
        getattr(provider.auth_token, "token", ""),
        getattr(provider.login_password, "token", ""),
    )


def _run_once(
    service: Callable[..., Any], provider: ProviderAccount, **kwargs: Any
) -> Any:
    """Run the service; after a 401, once more if the stored credentials changed.

    A rotation that commits after this task loaded the account leaves it with
    an old token that Vobiz no longer accepts: reload the row and run again
    with clients built from the new credentials.
    """
    try:
        return service(provider=provider, **kwargs)
    except AuthError:
        fresh = ProviderAccount.objects.filter(pk=provider.pk).first()
        if fresh is None or _credentials(fresh) == _credentials(provider):
            raise
        logger.info(
            "credentials changed during a sync; running it again",
            extra={"auth_id": provider.auth_id},
        )
        forget_clients()
        return service(provider=fresh, **kwargs)


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
            results[provider.auth_id] = _run_once(service, provider, **kwargs)
        except SyncBusy:
            results[provider.auth_id] = "skipped: already running"
        except VobizError as error:
            if isinstance(error, AuthError) and rotation_in_progress(provider.pk):
                # Vobiz switched tokens; the portal stores the new one any moment.
                raise task.retry(exc=error, countdown=ROTATION_RETRY_SECONDS) from error
            if not error.transient:
                raise
            countdown = countdown_for(error, task.request.retries, provider)
            raise task.retry(exc=error, countdown=countdown) from error
    return results
