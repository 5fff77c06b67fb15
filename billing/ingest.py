"""Put call detail records into the database fast, idempotently, with rollups.

On PostgreSQL rows are COPYed into a temporary staging table and merged with one
`INSERT … ON CONFLICT (uuid) DO UPDATE … WHERE` something changed, so re-ingesting
identical rows writes nothing. Elsewhere (SQLite) `bulk_create(update_conflicts=True)`
does the same job more slowly. Rollups of every day a batch touches are rebuilt from
the raw rows in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid as uuidlib
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate

from billing.models import Cdr, CdrDailyRollup
from portal.sync import parse_datetime, parse_decimal

# Column order of a parsed row; the same order is used for COPY and the merge.
COLUMNS = (
    "uuid",
    "provider_account_id",
    "sub_account_id",
    "account_auth_id",
    "start_time",
    "answer_time",
    "end_time",
    "direction",
    "from_number",
    "to_number",
    "duration",
    "billsec",
    "hangup_cause",
    "hangup_cause_code",
    "hangup_source",
    "cost",
    "currency",
    "trunk_remote_id",
    "ring_time",
    "mos",
    "packet_loss",
    "jitter",
    "remote_updated_at",
)
# Columns a later version of the same call may change (and the merge compares).
MUTABLE = COLUMNS[2:]
UUID_AT = COLUMNS.index("uuid")
START_AT = COLUMNS.index("start_time")

Row = tuple[Any, ...]


def _int(value: Any) -> int:
    if value in (None, ""):
        return 0
    return int(float(value))


def _opt_int(value: Any) -> int | None:
    return None if value in (None, "") else int(float(value))


def _opt_decimal(value: Any) -> Decimal | None:
    return None if value in (None, "") else parse_decimal(value)


def parse_cdr(
    raw: Mapping[str, Any], *, provider_id: int, owners: Mapping[str, int]
) -> Row | None:
    """Turn one CDR (list JSON or CSV export row) into a row tuple; None if unusable."""
    start = parse_datetime(raw.get("start_time"))
    try:
        call_uuid = uuidlib.UUID(str(raw.get("uuid") or ""))
    except ValueError:
        return None
    if start is None:
        return None
    account = str(raw.get("account_id") or "")
    return (
        call_uuid,
        provider_id,
        owners.get(account),
        account[:40],
        start,
        parse_datetime(raw.get("answer_time")),
        parse_datetime(raw.get("end_time")),
        str(raw.get("call_direction") or "")[:8],
        str(raw.get("caller_id_number") or "")[:32],
        str(raw.get("destination_number") or "")[:32],
        _int(raw.get("duration")),
        _int(raw.get("billsec")),
        str(raw.get("hangup_cause") or "")[:48],
        _opt_int(raw.get("hangup_cause_code")),
        str(raw.get("hangup_source") or "")[:16],
        parse_decimal(raw.get("total_cost", raw.get("cost"))),
        str(raw.get("currency") or "")[:3],
        str(raw.get("trunk_id") or "")[:64],
        _int(raw.get("ring_time")),
        _opt_decimal(raw.get("mos")),
        _opt_decimal(raw.get("packet_loss")),
        _opt_decimal(raw.get("jitter")),
        parse_datetime(raw.get("updated_at")),
    )


def _dedupe(rows: Iterable[Row]) -> list[Row]:
    # ON CONFLICT cannot touch one row twice in a statement: the last version wins.
    return list({row[UUID_AT]: row for row in rows}.values())


def ingest_cdrs(*, provider_id: int, rows: Sequence[Row]) -> int:
    """Upsert rows and rebuild the rollups of the days they touch, atomically.

    Return how many rows were inserted or changed.
    """
    unique = _dedupe(rows)
    if not unique:
        return 0
    days = {row[START_AT].astimezone(dt.UTC).date() for row in unique}
    with transaction.atomic():
        if connection.vendor == "postgresql":
            written = _merge_postgres(unique)
        else:
            written = _merge_orm(unique)
        rollups_rebuild(provider_id=provider_id, days=days)
    return written


def _merge_postgres(rows: list[Row]) -> int:
    cols = ", ".join(COLUMNS)
    table = Cdr._meta.db_table
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in MUTABLE)
    old = ", ".join(f"{table}.{c}" for c in MUTABLE)
    new = ", ".join(f"EXCLUDED.{c}" for c in MUTABLE)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS billing_cdr_stage "  # noqa: S608
            f"ON COMMIT DELETE ROWS AS SELECT {cols} FROM {table} WITH NO DATA"
        )
        raw = cursor.cursor  # psycopg's own cursor, for COPY
        with raw.copy(f"COPY billing_cdr_stage ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(
            f"INSERT INTO {table} ({cols}) SELECT {cols} FROM billing_cdr_stage "  # noqa: S608
            f"ON CONFLICT (uuid) DO UPDATE SET {updates} "
            f"WHERE ({old}) IS DISTINCT FROM ({new})"
        )
        written = int(cursor.rowcount)
        cursor.execute("TRUNCATE billing_cdr_stage")
    return written


def _merge_orm(rows: list[Row]) -> int:
    current = {
        values[0]: values[1:]
        for values in Cdr.objects.filter(
            uuid__in=[r[UUID_AT] for r in rows]
        ).values_list("uuid", *MUTABLE)
    }
    changed = [r for r in rows if current.get(r[UUID_AT]) != r[2:]]
    Cdr.objects.bulk_create(
        [Cdr(**dict(zip(COLUMNS, r, strict=True))) for r in changed],
        batch_size=500,
        update_conflicts=True,
        unique_fields=["uuid"],
        update_fields=list(MUTABLE),
    )
    return len(changed)


def rollups_rebuild(*, provider_id: int, days: Iterable[dt.date]) -> None:
    """Recompute the daily rollups of some days from the raw CDRs."""
    wanted = sorted(set(days))
    if not wanted:
        return
    low = dt.datetime.combine(wanted[0], dt.time.min, tzinfo=dt.UTC)
    high = dt.datetime.combine(
        wanted[-1] + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC
    )
    totals = (
        Cdr.objects.filter(
            provider_account_id=provider_id, start_time__gte=low, start_time__lt=high
        )
        .annotate(day=TruncDate("start_time", tzinfo=dt.UTC))
        .filter(day__in=wanted)
        .values("day", "account_auth_id", "sub_account_id", "direction")
        .annotate(
            n=Count("id"),
            ok=Count("id", filter=Q(billsec__gt=0) | Q(answer_time__isnull=False)),
            bill=Sum("billsec"),
            dur=Sum("duration"),
            money=Sum("cost"),
            ring=Sum("ring_time"),
        )
        .order_by()
    )
    rollups = [
        CdrDailyRollup(
            provider_account_id=provider_id,
            sub_account_id=t["sub_account_id"],
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
    CdrDailyRollup.objects.filter(
        provider_account_id=provider_id, day__in=wanted
    ).delete()
    CdrDailyRollup.objects.bulk_create(rollups, batch_size=500)
