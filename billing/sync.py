"""Sync balance, the transactions ledger and call detail records from Vobiz."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from itertools import islice
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.selectors import owner_map
from billing.ingest import ingest_raw_cdrs, rollups_rebuild
from billing.models import (
    BalanceSnapshot,
    Cdr,
    CdrCauseRollup,
    CdrDailyRollup,
    Transaction,
)
from sync.clients import client_for
from sync.models import ProviderAccount
from sync.runs import SyncRun, sync_run
from vobiz.parse import parse_datetime, parse_decimal, text

Progress = Callable[[dt.date, int], None]
CENT_THOUSANDTH = Decimal("0.00001")  # the precision of every money column


def balance_snapshot(*, provider: ProviderAccount) -> BalanceSnapshot:
    """Record the current balance as one snapshot row."""
    with sync_run(provider, "balance") as run:
        summary = run.summary
        remote = client_for(provider).get_balance(provider.currency)
        snapshot = BalanceSnapshot.objects.create(
            provider_account=provider,
            taken_at=timezone.now(),
            currency=text(remote.get("currency"), 3, provider.currency),
            balance=parse_decimal(remote.get("balance")),
            available_balance=parse_decimal(
                remote.get("available_balance", remote.get("balance"))
            ),
            reserved_funds=parse_decimal(remote.get("reserved_funds")),
            promotional_balance=parse_decimal(remote.get("promotional_balance")),
            credit_limit=parse_decimal(remote.get("credit_limit")),
            credit_limit_type=text(remote.get("credit_limit_type"), 8),
            is_postpaid=bool(remote.get("is_postpaid", False)),
            low_balance_threshold=parse_decimal(remote.get("low_balance_threshold")),
            status=text(remote.get("status"), 16),
        )
        summary["balance"] = str(snapshot.balance)
    return snapshot


def _transaction(provider: ProviderAccount, raw: dict[str, Any]) -> Transaction:
    created = parse_datetime(raw.get("created_at")) or timezone.now()
    return Transaction(
        provider_account=provider,
        remote_id=text(raw.get("id"), 80),
        type=text(raw.get("type"), 16),
        amount=parse_decimal(raw.get("amount")),
        currency=text(raw.get("currency"), 3, provider.currency),
        description=text(raw.get("description"), 500),
        reference=text(raw.get("reference"), 120),
        reference_type=text(raw.get("reference_type"), 32),
        status=text(raw.get("status"), 16),
        processed_at=parse_datetime(raw.get("processed_at")),
        remote_created_at=created,
    )


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def transactions_sync(*, provider: ProviderAccount) -> dict[str, int]:
    """Upsert ledger rows, newest first, stopping at the first page already known.

    The ledger only grows, so a page whose every row is known means the rest is too.
    """
    with sync_run(provider, "transactions") as run:
        summary = run.summary
        seen = written = 0
        for chunk in _chunks(client_for(provider).iter_transactions(), 100):
            ids = [text(raw.get("id"), 80) for raw in chunk if raw.get("id")]
            known = set(
                Transaction.objects.filter(remote_id__in=ids).values_list(
                    "remote_id", flat=True
                )
            )
            fresh = [_transaction(provider, r) for r in chunk if r.get("id")]
            Transaction.objects.bulk_create(
                fresh,
                update_conflicts=True,
                unique_fields=["remote_id"],
                update_fields=["status", "processed_at", "description"],
            )
            seen += len(chunk)
            written += len(set(ids) - known)
            if known and len(known) == len(ids):
                break
        summary.update({"seen": seen, "new": written})
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
    from sync.models import SyncState

    with sync_run(provider, "cdrs") as run:
        state = SyncState.objects.get(provider_account=provider, kind="cdrs")
        today = timezone.now().astimezone(dt.UTC).date()
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
                _advance(state.pk, day)
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
    client = client_for(provider)
    source = (
        client.export_cdrs_csv(day, day) if use_export else client.iter_cdrs(day, day)
    )
    count = 0
    for chunk in _chunks(source, settings.CDR_CHUNK_ROWS):
        ingest_raw_cdrs(provider_id=provider.pk, raws=chunk, owners=owners)
        count += len(chunk)
        run.heartbeat()
    return count


def _advance(state_id: int, day: dt.date) -> None:
    from sync.models import SyncState

    with transaction.atomic():
        state = SyncState.objects.select_for_update().get(pk=state_id)
        if state.watermark is None or day > state.watermark:
            state.watermark = day
            state.save(update_fields=["watermark"])


# Days the rollup check looks back when no first day is given (the nightly run).
ROLLUP_CHECK_DAYS = 35


def rollups_check(
    *, provider: ProviderAccount, since: dt.date | None = None
) -> dict[str, Any]:
    """Rebuild the rollups of days from `since` that disagree with the raw CDRs.

    A day is rebuilt when its call count or cost in the daily rollup, or its
    call count in the hangup-cause rollup, differs from the raw rows' (a day
    with rollups but no rows any more counts too). Cheap when all agree: three
    grouped queries, one row per day each.
    """
    with sync_run(provider, "rollups") as run:
        today = timezone.now().astimezone(dt.UTC).date()
        since = since or today - dt.timedelta(days=ROLLUP_CHECK_DAYS)
        raw, daily, causes = _day_totals(provider, since)
        wrong = sorted(
            day
            for day in set(raw) | set(daily) | set(causes)
            if daily.get(day) != raw.get(day)
            or causes.get(day, (0,))[0] != raw.get(day, (0,))[0]
        )
        with transaction.atomic():
            rollups_rebuild(provider_id=provider.pk, days=wrong)
        run.summary["repaired_days"] = [d.isoformat() for d in wrong]
    return run.summary


def _day_totals(
    provider: ProviderAccount, since: dt.date
) -> tuple[dict[dt.date, tuple[Any, ...]], ...]:
    """Return per UTC day: raw and daily-rollup (calls, cost), cause-rollup (calls,)."""
    low = dt.datetime.combine(since, dt.time.min, tzinfo=dt.UTC)
    raw = (
        Cdr.objects.filter(provider_account=provider, start_time__gte=low)
        .annotate(day=TruncDate("start_time", tzinfo=dt.UTC))
        .values("day")
        .annotate(n=Count("id"), money=Sum("cost"))
        .order_by()
        .values_list("day", "n", "money")
    )
    daily = (
        CdrDailyRollup.objects.filter(provider_account=provider, day__gte=since)
        .values("day")
        .annotate(n=Sum("calls"), money=Sum("cost"))
        .order_by()
        .values_list("day", "n", "money")
    )
    causes = (
        CdrCauseRollup.objects.filter(provider_account=provider, day__gte=since)
        .values("day")
        .annotate(n=Sum("calls"))
        .order_by()
        .values_list("day", "n")
    )
    return tuple(
        {row[0]: tuple(_exact(v) for v in row[1:]) for row in rows}
        for rows in (raw, daily, causes)
    )


def _exact(value: Any) -> Any:
    # SQLite sums decimals as floats (562.499999999999); money has 5 places.
    return value.quantize(CENT_THOUSANDTH) if isinstance(value, Decimal) else value
