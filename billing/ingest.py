"""Put call detail records into the database fast, idempotently, with rollups.

A CDR from Vobiz (a list-endpoint dict or a CSV export row) becomes a row of
checked text values, one per column: `parse_cdr` validates and normalises, but
converting text to types is left to PostgreSQL, which does it far faster.

On PostgreSQL a batch is COPYed as text into a temporary staging table and merged
with one `INSERT … SELECT … ON CONFLICT (uuid) DO UPDATE … WHERE` something
changed, so re-ingesting identical rows writes nothing. Elsewhere (SQLite) the rows
are typed in Python and go through `bulk_create(update_conflicts=True)`. Rollups of
every day a batch touches are rebuilt from the raw rows in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid as uuidlib
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.db.models import Count, Max, Q, Sum
from django.db.models.functions import TruncDate

from billing.models import Cdr, CdrCauseRollup, CdrDailyRollup
from vobiz.parse import text

# Column order of a row; the same order is used for COPY and the merge.
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
# PostgreSQL types of COLUMNS: the staging table is text, the merge casts.
SQL_TYPES = (
    "uuid",
    "bigint",
    "bigint",
    "text",
    "timestamptz",
    "timestamptz",
    "timestamptz",
    "text",
    "text",
    "text",
    "integer",
    "integer",
    "text",
    "integer",
    "text",
    "numeric",
    "text",
    "text",
    "integer",
    "numeric",
    "numeric",
    "numeric",
    "timestamptz",
)
# Columns a later version of the same call may change (and the merge compares).
MUTABLE = COLUMNS[2:]
UUID_AT = COLUMNS.index("uuid")
START_AT = COLUMNS.index("start_time")

Row = tuple[str | None, ...]

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?"
    r"(?:Z|[+-]\d{2}(?::?\d{2})?)?"
)
_COUNT = re.compile(r"\d{1,9}")
_INTEGER = re.compile(r"-?\d{1,9}")
# Integer digits each decimal column holds (an overflow would fail the whole batch).
_NUMBERS = {
    digits: re.compile(rf"-?\d{{1,{digits}}}(?:\.\d{{1,12}})?(?:[eE]-\d{{1,2}})?")
    for digits in (2, 3, 5, 9)
}


def _time(value: Any) -> str | None:
    if not value:
        return None
    text = str(value)
    if not _TIME.fullmatch(text):
        return None
    try:
        # The pattern admits 30 February or an offset of +99:99; a cast of one
        # such value would fail the whole batch.
        dt.datetime.fromisoformat(text)
    except ValueError:
        return _next_midnight(text)
    return text


_END_OF_DAY = re.compile(
    r"(\d{4}-\d{2}-\d{2})[T ]24:00(?::00(?:\.0{1,9})?)?(Z|[+-]\d{2}(?::?\d{2})?)?"
)


def _next_midnight(text: str) -> str | None:
    """Write ISO 8601's end of day (24:00) as the next day's 00:00, else None.

    PostgreSQL reads 24:00 but Python does not, and the rollups need the day
    the call really belongs to.
    """
    match = _END_OF_DAY.fullmatch(text)
    if match is None:
        return None
    try:
        day = dt.date.fromisoformat(match[1]) + dt.timedelta(days=1)
        written = f"{day.isoformat()}T00:00:00{match[2] or ''}"
        dt.datetime.fromisoformat(written)
    except ValueError:
        return None
    return written


def _whole(value: Any, pattern: re.Pattern[str], default: str | None) -> str | None:
    # JSON gives ints, CSV gives "42"; "42.0" or junk is normalised or dropped.
    if value is None or value == "":
        return default
    text = str(value)
    if pattern.fullmatch(text):
        return text
    try:
        whole = str(int(float(text)))
    except (ValueError, OverflowError):
        return default
    return whole if pattern.fullmatch(whole) else default


def _number(value: Any, default: str | None, digits: int) -> str | None:
    if value is None or value == "":
        return default
    text = str(value)
    return text if _NUMBERS[digits].fullmatch(text) else default


def parse_cdr(
    raw: Mapping[str, Any], *, provider_id: int, owners: Mapping[str, int]
) -> Row | None:
    """Turn one CDR (list JSON or CSV export row) into checked text values.

    Return None for a row that cannot be stored (no valid uuid or start time).
    """
    call_uuid = str(raw.get("uuid") or "").lower()
    start = _time(raw.get("start_time"))
    if start is None or not _UUID.fullmatch(call_uuid):
        return None
    account = text(raw.get("account_id"), 40)
    owner = owners.get(account)
    cost = raw.get("total_cost", raw.get("cost"))
    return (
        call_uuid,
        str(provider_id),
        None if owner is None else str(owner),
        account,
        start,
        _time(raw.get("answer_time")),
        _time(raw.get("end_time")),
        text(raw.get("call_direction"), 8),
        text(raw.get("caller_id_number"), 32),
        text(raw.get("destination_number"), 32),
        _whole(raw.get("duration"), _COUNT, "0"),
        _whole(raw.get("billsec"), _COUNT, "0"),
        text(raw.get("hangup_cause"), 48),
        _whole(raw.get("hangup_cause_code"), _INTEGER, None),
        text(raw.get("hangup_source"), 16),
        _number(cost, "0", 9),
        text(raw.get("currency"), 3),
        text(raw.get("trunk_id"), 64),
        _whole(raw.get("ring_time"), _COUNT, "0"),
        _number(raw.get("mos"), None, 2),
        _number(raw.get("packet_loss"), None, 3),
        _number(raw.get("jitter"), None, 5),
        _time(raw.get("updated_at")),
    )


def _dedupe(rows: Iterable[Row | None]) -> list[Row]:
    # ON CONFLICT cannot touch one row twice in a statement: the last version wins.
    return list({row[UUID_AT]: row for row in rows if row is not None}.values())


def ingest_cdrs(*, provider_id: int, rows: Sequence[Row | None]) -> int:
    """Upsert rows and rebuild the rollups of the days they touch, atomically.

    Return how many rows were inserted or changed.
    """
    unique = _dedupe(rows)
    if not unique:
        return 0
    with transaction.atomic():
        if connection.vendor == "postgresql":
            written, days = _merge_postgres(unique)
        else:
            typed = [_typed(row) for row in unique]
            written = _merge_orm(typed)
            days = {row["start_time"].astimezone(dt.UTC).date() for row in typed}
        rollups_rebuild(provider_id=provider_id, days=days)
    return written


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_FREE_TEXT = [i for i, kind in enumerate(SQL_TYPES) if kind == "text"]
_SPECIAL = re.compile(r"[\\\t\n\r]")


def _copy_text(rows: list[Row]) -> bytes:
    """Format rows in COPY's text format (tab-separated, \\N for NULL).

    Only free-text columns can hold a tab, newline or backslash: the others were
    checked against strict patterns, so only those few are escaped.
    """
    lines = []
    for row in rows:
        values = ["\\N" if v is None else v for v in row]
        for at in _FREE_TEXT:
            text = row[at]
            if text is not None and _SPECIAL.search(text):
                values[at] = text.translate(_ESCAPES)
        lines.append("\t".join(values))
    return ("\n".join(lines) + "\n").encode()


def _merge_postgres(rows: list[Row]) -> tuple[int, set[dt.date]]:
    """Stage the rows with one COPY, merge them in one statement; return the days."""
    table = Cdr._meta.db_table
    cols = ", ".join(COLUMNS)
    casts = ", ".join(f"{c}::{t}" for c, t in zip(COLUMNS, SQL_TYPES, strict=True))
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in MUTABLE)
    old = ", ".join(f"{table}.{c}" for c in MUTABLE)
    new = ", ".join(f"EXCLUDED.{c}" for c in MUTABLE)
    with connection.cursor() as cursor:
        # Rows and cursor commit together, so a commit lost in a crash is simply
        # fetched again: no need to wait for each one to reach the disk.
        cursor.execute("SET LOCAL synchronous_commit TO OFF")
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS billing_cdr_stage ("
            + ", ".join(f"{c} text" for c in COLUMNS)
            + ") ON COMMIT DELETE ROWS"
        )
        with (
            connection.wrap_database_errors,
            cursor.cursor.copy(f"COPY billing_cdr_stage ({cols}) FROM STDIN") as copy,
        ):
            copy.write(_copy_text(rows))
        cursor.execute(
            f"INSERT INTO {table} ({cols}) SELECT {casts} FROM billing_cdr_stage "  # noqa: S608
            f"ON CONFLICT (uuid) DO UPDATE SET {updates} "
            f"WHERE ({old}) IS DISTINCT FROM ({new})"
        )
        written = int(cursor.rowcount)
        cursor.execute(
            "SELECT DISTINCT (start_time::timestamptz AT TIME ZONE 'UTC')::date "
            "FROM billing_cdr_stage"
        )
        days = {day for (day,) in cursor.fetchall()}
        cursor.execute("TRUNCATE billing_cdr_stage")
    return written, days


def _when(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    parsed = dt.datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _typed(row: Row) -> dict[str, Any]:
    """Convert a text row to model values (the path for databases without COPY)."""
    values = dict(zip(COLUMNS, row, strict=True))
    typed: dict[str, Any] = dict(values)
    typed["uuid"] = uuidlib.UUID(values["uuid"])
    for name in ("provider_account_id", "sub_account_id", "hangup_cause_code"):
        typed[name] = None if values[name] is None else int(values[name] or 0)
    for name in ("duration", "billsec", "ring_time"):
        typed[name] = int(values[name] or 0)
    for name in ("cost", "mos", "packet_loss", "jitter"):
        typed[name] = None if values[name] is None else Decimal(values[name] or 0)
    for name in ("start_time", "answer_time", "end_time", "remote_updated_at"):
        typed[name] = _when(values[name])
    return typed


def _merge_orm(rows: list[dict[str, Any]]) -> int:
    current = {
        values[0]: values[1:]
        for values in Cdr.objects.filter(
            uuid__in=[r["uuid"] for r in rows]
        ).values_list("uuid", *MUTABLE)
    }
    changed = [
        r for r in rows if current.get(r["uuid"]) != tuple(r[c] for c in MUTABLE)
    ]
    Cdr.objects.bulk_create(
        [Cdr(**r) for r in changed],
        batch_size=500,
        update_conflicts=True,
        unique_fields=["uuid"],
        update_fields=list(MUTABLE),
    )
    return len(changed)


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


# --- The optimistic path for new rows (PostgreSQL) -------------------------------
# Most of a sync is rows the portal has never seen. For those, the rows go straight
# into the table with one COPY and PostgreSQL checks every value while parsing
# it; anything odd (a bad value, a duplicate, a row already stored, a time not in
# UTC) rolls the attempt back whole and the checked path above takes over.

_UTC_SUFFIXES = ("Z", "+00:00")


def _fast_value(value: Any) -> str:
    if value is None:
        return "\\N"
    text = str(value)
    return text.translate(_ESCAPES) if _SPECIAL.search(text) else text


def _fast_values(
    raw: Mapping[str, Any], provider: str, owners: Mapping[str, int]
) -> list[Any]:
    get = raw.get
    account = get("account_id") or ""
    owner = owners.get(account) if isinstance(account, str) else None
    return [
        str(get("uuid") or "").lower(),
        provider,
        owner,
        account,
        get("start_time"),
        get("answer_time") or None,
        get("end_time") or None,
        get("call_direction") or "",
        get("caller_id_number") or "",
        get("destination_number") or "",
        get("duration") or 0,
        get("billsec") or 0,
        get("hangup_cause") or "",
        get("hangup_cause_code"),
        get("hangup_source") or "",
        get("total_cost", get("cost")) or 0,
        get("currency") or "",
        get("trunk_id") or "",
        get("ring_time") or 0,
        get("mos"),
        get("packet_loss"),
        get("jitter"),
        get("updated_at") or None,
    ]


_TABS = len(COLUMNS) - 1
# Turns off the wait for the disk (see `_merge_postgres`) and asks, in one round
# trip, whether any of the rows is stored already.
_KNOWN_SQL = (
    "SELECT set_config('synchronous_commit', 'off', true), "
    "EXISTS (SELECT 1 FROM billing_cdr WHERE uuid = ANY(%s::uuid[]))"
)
# Rows formatted per COPY write: PostgreSQL parses one piece while Python formats
# the next, so the two cores overlap instead of taking turns.
_PIECE = 500


def _fast_piece(
    raws: Sequence[Mapping[str, Any]], provider: str, owners: Mapping[str, int]
) -> bytes:
    """Format rows as COPY text, escaping only if some value needs it.

    The check runs once over the whole piece: our own output has exactly one tab
    between values, one newline per row and one backslash per NULL, so any other
    tab, newline, carriage return or backslash came from a value.
    """
    rows = [_fast_values(raw, provider, owners) for raw in raws]
    nulls = sum(values.count(None) for values in rows)
    text = "\n".join(
        "\t".join(["\\N" if v is None else str(v) for v in values]) for values in rows
    )
    clean = (
        text.count("\t") == _TABS * len(rows)
        and text.count("\n") == len(rows) - 1
        and text.count("\\") == nulls
        and "\r" not in text
    )
    if not clean:
        text = "\n".join("\t".join(_fast_value(v) for v in values) for values in rows)
    return (text + "\n").encode()


def _utc_day(raw: Mapping[str, Any]) -> str | None:
    start = raw.get("start_time")
    if (
        isinstance(start, str)
        and start.endswith(_UTC_SUFFIXES)
        and len(start) >= 20
        and start[11:13] != "24"  # 24:00 is the next day: the checked path says so
    ):
        return start[:10]
    return None


def _copy_new_rows(
    provider_id: int, raws: Sequence[Mapping[str, Any]], owners: Mapping[str, int]
) -> int | None:
    """COPY rows the table does not hold yet; None when the checked path must run."""
    days = {_utc_day(raw) for raw in raws}
    if None in days:
        return None
    provider = str(provider_id)
    # One array literal, cast by PostgreSQL: a malformed uuid fails the cast (or
    # the COPY) and sends the batch down the checked path.
    uuids = "{" + ",".join(str(raw.get("uuid") or "").lower() for raw in raws) + "}"
    table, cols = Cdr._meta.db_table, ", ".join(COLUMNS)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(_KNOWN_SQL, [uuids])
            if cursor.fetchone()[1]:
                raise _KnownRows
            # The raw psycopg cursor: its errors are not Django's until wrapped.
            with (
                connection.wrap_database_errors,
                cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy,
            ):
                for at in range(0, len(raws), _PIECE):
                    copy.write(_fast_piece(raws[at : at + _PIECE], provider, owners))
            rollups_rebuild(
                provider_id=provider_id,
                days=[dt.date.fromisoformat(day) for day in days if day],
            )
    except (_KnownRows, DatabaseError):
        return None
    return len(raws)


class _KnownRows(Exception):
    """Some rows are stored already: they need the comparing merge."""


def ingest_raw_cdrs(
    *, provider_id: int, raws: Sequence[Mapping[str, Any]], owners: Mapping[str, int]
) -> int:
    """Ingest CDRs as Vobiz sent them (list JSON or CSV rows), atomically.

    New rows on PostgreSQL take the one-COPY path; everything else (known rows,
    odd values, other databases) goes through `parse_cdr` and `ingest_cdrs`.
    Return how many rows were inserted or changed.
    """
    if not raws:
        return 0
    if connection.vendor == "postgresql":
        copied = _copy_new_rows(provider_id, raws, owners)
        if copied is not None:
            return copied
    rows = [parse_cdr(raw, provider_id=provider_id, owners=owners) for raw in raws]
    return ingest_cdrs(provider_id=provider_id, rows=rows)
