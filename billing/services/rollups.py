"""The daily CDR rollups: rebuilt with the rows they sum, repaired when they drift.

Two rollups per UTC day, account and direction: the totals
(`CdrDailyRollup`) and the calls per hangup cause (`CdrCauseRollup`). The
ingest rebuilds the days a batch touches in the batch's transaction; the
nightly check (`rollups_repair`) rebuilds any day that disagrees with its raw
rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Max, Q, Sum
from django.db.models.functions import TruncDate

from billing.models import Cdr, CdrCauseRollup, CdrDailyRollup
from sync.models import ProviderAccount

CENT_THOUSANDTH = Decimal("0.00001")  # the precision of every money column

# Both rollups from one scan of the days' rows: the cause rollup groups finest, and
# the daily totals are sums over its groups (MAX of MAXes, sums of sums).
ROLLUPS_DELETE_SQL = """
WITH totals AS (
    DELETE FROM billing_cdrdailyrollup
    WHERE provider_account_id = %(provider)s AND day = ANY(%(days)s)
)
DELETE FROM billing_cdrcauserollup
WHERE provider_account_id = %(provider)s AND day = ANY(%(days)s)
"""

ROLLUPS_INSERT_SQL = """
WITH causes AS MATERIALIZED (
    SELECT provider_account_id, MAX(sub_account_id) AS sub, account_auth_id,
        (start_time AT TIME ZONE 'UTC')::date AS day, direction, hangup_cause,
        COUNT(*) AS calls,
        COUNT(*) FILTER (WHERE billsec > 0 OR answer_time IS NOT NULL) AS answered,
        SUM(billsec) AS bill, SUM(duration) AS dur, SUM(cost) AS money,
        SUM(ring_time) AS ring
    FROM billing_cdr
    WHERE provider_account_id = %(provider)s
        AND start_time >= %(low)s AND start_time < %(high)s
        AND (start_time AT TIME ZONE 'UTC')::date = ANY(%(days)s)
    GROUP BY provider_account_id, account_auth_id, day, direction, hangup_cause
), totals AS (
    INSERT INTO billing_cdrdailyrollup (provider_account_id, sub_account_id,
        account_auth_id, day, direction, calls, answered, billable_seconds,
        duration_seconds, cost, ring_time_sum)
    SELECT provider_account_id, MAX(sub), account_auth_id, day, direction,
        SUM(calls), SUM(answered), SUM(bill), SUM(dur), SUM(money), SUM(ring)
    FROM causes
    GROUP BY provider_account_id, account_auth_id, day, direction
)
INSERT INTO billing_cdrcauserollup (provider_account_id, sub_account_id,
    account_auth_id, day, direction, hangup_cause, calls)
SELECT provider_account_id, sub, account_auth_id, day, direction, hangup_cause, calls
FROM causes
"""


def rollups_rebuild(*, provider_id: int, days: Iterable[dt.date]) -> None:
    """Recompute the daily rollups (totals and hangup causes) of some days.

    Call it inside the transaction that changed those days' rows.
    """
    wanted = sorted(set(days))
    if not wanted:
        return
    low = dt.datetime.combine(wanted[0], dt.time.min, tzinfo=dt.UTC)
    high = dt.datetime.combine(
        wanted[-1] + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC
    )
    if connection.vendor == "postgresql":
        params: dict[str, Any] = {
            "provider": provider_id,
            "low": low,
            "high": high,
            "days": wanted,
        }
        with connection.cursor() as cursor:
            cursor.execute(ROLLUPS_DELETE_SQL, params)
            cursor.execute(ROLLUPS_INSERT_SQL, params)
        return
    for model in (CdrDailyRollup, CdrCauseRollup):
        model.objects.filter(provider_account_id=provider_id, day__in=wanted).delete()
    CdrDailyRollup.objects.bulk_create(
        _rollups_orm(provider_id, low, high, wanted), batch_size=500
    )
    CdrCauseRollup.objects.bulk_create(
        _cause_rollups_orm(provider_id, low, high, wanted), batch_size=500
    )


def _days_of_rows(
    provider_id: int, low: dt.datetime, high: dt.datetime, wanted: list[dt.date]
) -> Any:
    """Return the raw CDRs of the wanted UTC days, each annotated with its day.

    Typed as Any: the stubs cannot follow the `day` annotation across a return.
    """
    return (
        Cdr.objects.filter(
            provider_account_id=provider_id, start_time__gte=low, start_time__lt=high
        )
        .annotate(day=TruncDate("start_time", tzinfo=dt.UTC))
        .filter(day__in=wanted)
    )


def _cause_rollups_orm(
    provider_id: int, low: dt.datetime, high: dt.datetime, wanted: list[dt.date]
) -> list[CdrCauseRollup]:
    totals = (
        _days_of_rows(provider_id, low, high, wanted)
        .values("day", "account_auth_id", "direction", "hangup_cause")
        .annotate(sub=Max("sub_account_id"), n=Count("id"))
        .order_by()
    )
    return [
        CdrCauseRollup(
            provider_account_id=provider_id,
            sub_account_id=t["sub"],
            account_auth_id=t["account_auth_id"],
            day=t["day"],
            direction=t["direction"],
            hangup_cause=t["hangup_cause"],
            calls=t["n"],
        )
        for t in totals
    ]


def _rollups_orm(
    provider_id: int, low: dt.datetime, high: dt.datetime, wanted: list[dt.date]
) -> list[CdrDailyRollup]:
    totals = (
        _days_of_rows(provider_id, low, high, wanted)
        .values("day", "account_auth_id", "direction")
        .annotate(
            sub=Max("sub_account_id"),
            n=Count("id"),
            ok=Count("id", filter=Q(billsec__gt=0) | Q(answer_time__isnull=False)),
            bill=Sum("billsec"),
            dur=Sum("duration"),
            money=Sum("cost"),
            ring=Sum("ring_time"),
        )
        .order_by()
    )
    return [
        CdrDailyRollup(
            provider_account_id=provider_id,
            sub_account_id=t["sub"],
            account_auth_id=t["account_auth_id"],
            day=t["day"],
            direction=t["direction"],
            calls=t["n"],
            answered=t["ok"],
            billable_seconds=t["bill"] or 0,
            duration_seconds=t["dur"] or 0,
            cost=t["money"] or Decimal(0),
            ring_time_sum=t["ring"] or 0,
        )
        for t in totals
    ]


def rollups_repair(*, provider: ProviderAccount, since: dt.date) -> list[dt.date]:
    """Rebuild the rollups of days from `since` that disagree with the raw CDRs.

    A day is rebuilt when its call count or cost in the daily rollup, or its
    call count in the hangup-cause rollup, differs from the raw rows' (a day
    with rollups but no rows any more counts too). Cheap when all agree: three
    grouped queries, one row per day each. Return the days rebuilt, in order.
    """
    raw, daily, causes = _day_totals(provider, since)
    wrong = sorted(
        day
        for day in set(raw) | set(daily) | set(causes)
        if daily.get(day) != raw.get(day)
        or causes.get(day, (0,))[0] != raw.get(day, (0,))[0]
    )
    with transaction.atomic():
        rollups_rebuild(provider_id=provider.pk, days=wrong)
    return wrong


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
