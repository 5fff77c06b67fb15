"""What every Vobiz sync shares: a lease so one runs at a time, and its state row.

Two beat processes started by mistake, or one task delivered twice, both end up
here: the second run finds the lease taken and does nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Model
from django.utils import timezone

from sync.models import ProviderAccount

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

    def __init__(self, key: str, token: str, progress: str) -> None:
        self.key = key
        self.token = token
        self.progress = progress
        self.summary: dict[str, Any] = {}

    def report(self, **progress: Any) -> None:
        """Publish how far the run is, for the API health page (cache only)."""
        cache.set(self.progress, progress, settings.SYNC_LEASE_SECONDS)

    def heartbeat(self) -> None:
        """Extend the lease; raise SyncBusy if another run has taken it over."""
        if cache.get(self.key) != self.token:
            raise SyncBusy("the lease was lost to another run")
        cache.touch(self.key, settings.SYNC_LEASE_SECONDS)

    def release(self) -> None:
        """Give the lease back if it is still ours."""
        if cache.get(self.key) == self.token:
            cache.delete(self.key)


@contextmanager
def sync_run(provider: ProviderAccount, kind: str) -> Iterator[SyncRun]:
    """Hold the lease of one sync while it runs and record how it ended.

    Raises SyncBusy when another run holds the lease.
    """
    from sync.models import SyncState

    run = SyncRun(
        lease_key(provider, kind), uuid.uuid4().hex, progress_key(provider.pk, kind)
    )
    # cache.add is atomic in Redis (SET NX): exactly one run gets the lease.
    if not cache.add(run.key, run.token, settings.SYNC_LEASE_SECONDS):
        raise SyncBusy(f"{kind} sync of {provider.auth_id} is already running")
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
        run.release()


def parse_datetime(value: Any) -> dt.datetime | None:
    """Parse a Vobiz timestamp (ISO 8601, often with Z); None when empty or bad."""
    if not value:
        return None
    text = str(value).strip()
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = dt.datetime.fromisoformat(text[:10])
        except ValueError:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed


def text(value: Any, limit: int, default: str = "") -> str:
    """Return a remote value as text that fits a column of `limit` characters.

    Numbers and other JSON become their text; NUL (which PostgreSQL text cannot
    hold) is dropped; an empty result gives the default.
    """
    if value is None:
        return default
    cleaned = str(value).replace("\x00", "")[:limit]
    return cleaned or default


def parse_int(value: Any, default: int, *, low: int = 0, high: int = 2**31 - 1) -> int:
    """Parse a whole number; junk gives the default, the rest is kept in range.

    A limit outside what the column (or its check) allows is clamped to the
    nearest bound rather than failing the whole sync.
    """
    try:
        number = int(float(str(value))) if value not in (None, "") else default
    except (ValueError, OverflowError):
        number = default
    return min(max(number, low), high)


# Money columns hold 14 digits, 5 after the point.
MONEY_LIMIT = Decimal(10) ** 9


def parse_decimal(value: Any, default: str = "0") -> Decimal:
    """Parse money from a number, a string or None.

    Junk, NaN, infinities and amounts too large for a money column give the
    default (and a warning): one odd value must not fail a whole sync.
    """
    if value is None or value == "":
        return Decimal(default)
    try:
        parsed = Decimal(str(value))
    except InvalidOperation:
        parsed = Decimal("NaN")
    if parsed.is_finite() and abs(parsed) < MONEY_LIMIT:
        return parsed
    logger.warning("unusable amount from Vobiz", extra={"value": str(value)[:40]})
    return Decimal(default)


@dataclass
class Upserted:
    """What `upsert_synced` did to one local copy of a remote object."""

    row: Any
    state: str  # "created", "updated" or "unchanged"
    before: dict[str, Any]
    changed: dict[str, Any]


def upsert_synced(
    model: type[Model],
    provider: ProviderAccount,
    key: dict[str, Any],
    fields: dict[str, Any],
    now: dt.datetime,
) -> Upserted:
    """Create or update the local copy of one remote object, found by `key`.

    Call it inside a transaction: the row is locked while it is compared. A row
    marked removed comes back; `synced_at` is set either way. `before` and
    `changed` let the caller record what changed outside the portal.
    """
    manager = model._default_manager
    local = manager.select_for_update().filter(**key).first()
    if local is None:
        row = manager.create(provider_account=provider, synced_at=now, **key, **fields)
        return Upserted(row, "created", {}, {})
    before = {k: getattr(local, k) for k in fields}
    changed = {k: v for k, v in fields.items() if before[k] != v}
    for name, value in changed.items():
        setattr(local, name, value)
    local.synced_at = now  # type: ignore[attr-defined]
    local.removed_at = None  # type: ignore[attr-defined]
    local.save()
    return Upserted(local, "updated" if changed else "unchanged", before, changed)
