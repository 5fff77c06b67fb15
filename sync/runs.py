"""What every Vobiz sync shares: a lease so one runs at a time, and its state row.

Two beat processes started by mistake, or one task delivered twice, both end up
here: the second run finds the lease taken and does nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from core.leases import CacheLease, LeaseLost
from sync.models import ProviderAccount, SyncState

logger = logging.getLogger("sync.runs")


class SyncBusy(Exception):
    """Another run of the same sync holds the lease."""


def lease_key(provider: ProviderAccount, kind: str) -> str:
    """Return the cache key of the lease for one sync kind of one account."""
    return f"sync-lease:{provider.pk}:{kind}"


def queued_key(provider_id: int, kind: str) -> str:
    """Return the cache key that says an admin queued this sync (until it starts)."""
    return f"sync-queued:{provider_id}:{kind}"


def progress_key(provider_id: int, kind: str) -> str:
    """Return the cache key of a running sync's progress."""
    return f"sync-progress:{provider_id}:{kind}"


# How long a queued sync shows as queued if no worker ever picks it up.
QUEUED_SECONDS = 600


def mark_queued(provider_id: int, kind: str) -> None:
    """Say a sync was queued; `sync_run` clears it when the run starts."""
    cache.set(queued_key(provider_id, kind), timezone.now().isoformat(), QUEUED_SECONDS)


def sync_activity(provider: ProviderAccount, kind: str) -> dict[str, Any]:
    """Say whether a sync is running (with its progress) or queued, from the cache."""
    if cache.get(lease_key(provider, kind)) is not None:
        progress = cache.get(progress_key(provider.pk, kind)) or {}
        return {"running": True, "queued": False, "progress": progress}
    queued = cache.get(queued_key(provider.pk, kind)) is not None
    return {"running": False, "queued": queued, "progress": {}}


class SyncRun:
    """One run of a sync: its summary and the lease it must keep alive.

    The lease is short (SYNC_LEASE_SECONDS) and renewed by `heartbeat()`, so a
    worker killed mid-run blocks the next run for a minute or two, not for hours.
    """

    def __init__(self, lease: CacheLease, progress: str) -> None:
        self.lease = lease
        self.progress = progress
        self.summary: dict[str, Any] = {}

    def report(self, **progress: Any) -> None:
        """Publish how far the run is, for the API health page (cache only)."""
        cache.set(self.progress, progress, settings.SYNC_LEASE_SECONDS)

    def heartbeat(self) -> None:
        """Extend the lease; raise SyncBusy if another run has taken it over."""
        try:
            self.lease.renew()
        except LeaseLost as lost:
            raise SyncBusy("the lease was lost to another run") from lost


@contextmanager
def sync_run(provider: ProviderAccount, kind: str) -> Iterator[SyncRun]:
    """Hold the lease of one sync while it runs and record how it ended.

    Raises SyncBusy when another run holds the lease.
    """
    lease = CacheLease(lease_key(provider, kind), settings.SYNC_LEASE_SECONDS)
    # Atomic in Redis (SET NX): exactly one run gets the lease.
    if not lease.acquire():
        raise SyncBusy(f"{kind} sync of {provider.auth_id} is already running")
    run = SyncRun(lease, progress_key(provider.pk, kind))
    cache.delete(queued_key(provider.pk, kind))
    state, _ = SyncState.objects.get_or_create(provider_account=provider, kind=kind)
    SyncState.objects.filter(pk=state.pk).update(last_started_at=timezone.now())
    try:
        yield run
    except Exception as exc:
        SyncState.objects.filter(pk=state.pk).update(
            last_error=f"{type(exc).__name__}: {exc}"[:500],
            last_error_at=timezone.now(),
        )
        raise
    else:
        SyncState.objects.filter(pk=state.pk).update(
            last_success_at=timezone.now(), last_error="", last_summary=run.summary
        )
        logger.info("sync finished", extra={"kind": kind, "summary": run.summary})
    finally:
        cache.delete(run.progress)
        lease.release()
