"""Sync balance, the transactions ledger and call detail records from Vobiz.

The entry points the sync registry names (`balance_snapshot`,
`transactions_sync`, `cdrs_sync`, `rollups_check`) and the mapping of Vobiz's
balance and ledger payloads to the portal's fields. They read Vobiz (typed
payloads; the CDR ingest keeps raw rows for COPY speed) and leave every write
to `billing.services`.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any, TypeVar

from django.conf import settings
from django.utils import timezone

from accounts.selectors import owner_map
from billing import services
from billing.models import BalanceSnapshot
from core.dates import today_utc
from sync.clients import client_for
from sync.models import ProviderAccount, SyncState
from sync.runs import SyncRun, sync_run
from vobiz.payloads import Balance, Transaction

Progress = Callable[[dt.date, int], None]
T = TypeVar("T")
# Days the rollup check looks back when no first day is given (the nightly run).
ROLLUP_CHECK_DAYS = 35


def balance_fields(remote: Balance, *, currency: str) -> dict[str, Any]:
    """Return BalanceSnapshot fields for a Vobiz balance asked for in `currency`."""
    return {
        "currency": remote.currency or currency,
        "balance": remote.balance,
        "available_balance": remote.available_balance,
        "reserved_funds": remote.reserved_funds,
        "promotional_balance": remote.promotional_balance,
        "credit_limit": remote.credit_limit,
        "credit_limit_type": remote.credit_limit_type,
        "is_postpaid": remote.is_postpaid,
        "low_balance_threshold": remote.low_balance_threshold,
        "status": remote.status,
    }


def transaction_fields(remote: Transaction, *, currency: str) -> dict[str, Any]:
    """Return Transaction fields for a Vobiz ledger row of an account in `currency`."""
    return {
        "remote_id": remote.id,
        "type": remote.type,
        "amount": remote.amount,
        "currency": remote.currency or currency,
        "description": remote.description,
        "reference": remote.reference,
        "reference_type": remote.reference_type,
        "status": remote.status,
        "processed_at": remote.processed_at,
        "remote_created_at": remote.created_at or timezone.now(),
    }


def balance_snapshot(*, provider: ProviderAccount) -> BalanceSnapshot:
    """Record the current balance as one snapshot row."""
    with sync_run(provider, "balance") as run:
        remote = client_for(provider).typed.get_balance(provider.currency)
        snapshot = services.balance_snapshot_store(
            provider=provider,
            fields=balance_fields(remote, currency=provider.currency),
        )
        run.summary["balance"] = str(snapshot.balance)
    return snapshot


def _chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def transactions_sync(*, provider: ProviderAccount) -> dict[str, int]:
    """Upsert ledger rows, newest first, stopping at the first page already known.

    The ledger only grows, so a page whose every row is known means the rest is
    too. A row without an id cannot be matched later and is skipped.
    """
    with sync_run(provider, "transactions") as run:
        seen = written = 0
        for chunk in _chunks(client_for(provider).typed.iter_transactions(), 100):
            rows = [
                transaction_fields(remote, currency=provider.currency)
                for remote in chunk
                if remote.id
            ]
            ids = [row["remote_id"] for row in rows]
            known = services.transactions_upsert(provider=provider, rows=rows)
            seen += len(chunk)
            written += len(set(ids) - known)
            if known and len(known) == len(ids):
                break
        run.summary.update({"seen": seen, "new": written})
    return {"seen": seen, "new": written}


def _window(
    state_watermark: dt.date | None, since: dt.date | None, today: dt.date
) -> dt.date:
    if since is not None:
        return since
    if state_watermark is not None:
        # CDRs arrive late: fetch the last two closed days again every run.
        return min(
            state_watermark - dt.timedelta(days=settings.CDR_LATE_DAYS - 1), today
        )
    return today - dt.timedelta(days=settings.CDR_INITIAL_DAYS)


def cdrs_sync(
    *,
    provider: ProviderAccount,
    since: dt.date | None = None,
    until: dt.date | None = None,
    progress: Progress | None = None,
    budget_seconds: float | None = None,
) -> dict[str, Any]:
    """Fetch CDRs day by day from the cursor (or `since`) to today and ingest them.

    Each chunk of rows is committed with the rollups of its days; the cursor moves
    past a day only after all its rows are committed, and never past a day that is
    not over yet. Long backfills read the CSV export, short ones the list endpoint.
    A run stops after `budget_seconds` (at a day boundary) and says where to resume,
    so no single task outlives its time limit.
    """
    with sync_run(provider, "cdrs") as run:
        state = SyncState.objects.get(provider_account=provider, kind="cdrs")
        today = today_utc()
        start = _window(state.watermark, since, today)
        end = min(until or today, today)
        days = [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]
        use_export = len(days) > settings.CDR_EXPORT_THRESHOLD_DAYS
        owners = owner_map(provider)
        deadline = time.monotonic() + (budget_seconds or float("inf"))
        total, resume = 0, None
        for index, day in enumerate(days):
            run.report(day=day.isoformat(), done=index, days=len(days), rows=total)
            total += _sync_day(provider, day, owners, run, use_export=use_export)
            if day < today:
                services.cdrs_watermark_advance(state_id=state.pk, day=day)
            if progress:
                progress(day, total)
            if time.monotonic() > deadline and index + 1 < len(days):
                resume = days[index + 1]
                break
        run.summary.update(
            {
                "from": start.isoformat(),
                "to": end.isoformat(),
                "rows": total,
                "source": "export" if use_export else "list",
                "resume_from": resume.isoformat() if resume else None,
            }
        )
    return run.summary


def _sync_day(
    provider: ProviderAccount,
    day: dt.date,
    owners: dict[str, int],
    run: SyncRun,
    *,
    use_export: bool,
) -> int:
    """Ingest one UTC day of CDRs chunk by chunk; return how many rows came."""
    client = client_for(provider)
    source = (
        client.export_cdrs_csv(day, day) if use_export else client.iter_cdrs(day, day)
    )
    count = 0
    for chunk in _chunks(source, settings.CDR_CHUNK_ROWS):
        services.ingest_raw_cdrs(provider_id=provider.pk, raws=chunk, owners=owners)
        count += len(chunk)
        run.heartbeat()
    return count


def rollups_check(
    *, provider: ProviderAccount, since: dt.date | None = None
) -> dict[str, Any]:
    """Rebuild the rollups of days from `since` that disagree with the raw CDRs.

    Without `since` (the nightly run) the last `ROLLUP_CHECK_DAYS` days are checked.
    """
    with sync_run(provider, "rollups") as run:
        since = since or today_utc() - dt.timedelta(days=ROLLUP_CHECK_DAYS)
        repaired = services.rollups_repair(provider=provider, since=since)
        run.summary["repaired_days"] = [day.isoformat() for day in repaired]
    return run.summary
