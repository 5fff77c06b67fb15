"""The PostgreSQL path: COPY for new rows, else stage and merge in one statement.

Most of a sync is rows the portal has never seen. For those, `copy_new_rows`
puts the raw rows straight into the table with one COPY and PostgreSQL checks
every value while parsing it; anything odd (a bad value, a duplicate, a row
already stored, a time not in UTC) rolls the attempt back whole and the checked
path takes over: `merge_checked` COPYs rows checked by `parse_cdr` as text into
a temporary staging table and merges them with one `INSERT … SELECT … ON
CONFLICT (uuid) DO UPDATE … WHERE` something changed, so re-ingesting identical
rows writes nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import DatabaseError, connection, transaction

from billing.models import Cdr
from billing.services.cdr_ingest.rows import COLUMNS, MUTABLE, SQL_TYPES, Row
from billing.services.rollups import rollups_rebuild

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_FREE_TEXT = [i for i, kind in enumerate(SQL_TYPES) if kind == "text"]
_SPECIAL = re.compile(r"[\\\t\n\r]")


def copy_text(rows: list[Row]) -> bytes:
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


def merge_checked(rows: list[Row]) -> tuple[int, set[dt.date]]:
    """Stage the rows with one COPY, merge them in one statement.

    Return how many rows were inserted or changed, and the UTC days they touch.
    """
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
            copy.write(copy_text(rows))
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


# --- The optimistic path for new rows ---------------------------------------------

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
# Turns off the wait for the disk (see `merge_checked`) and asks, in one round
# trip, whether any of the rows is stored already.
_KNOWN_SQL = (
    "SELECT set_config('synchronous_commit', 'off', true), "
    "EXISTS (SELECT 1 FROM billing_cdr WHERE uuid = ANY(%s::uuid[]))"
)
# Rows formatted per COPY write: PostgreSQL parses one piece while Python formats
# the next, so the two cores overlap instead of taking turns.
PIECE_ROWS = 500


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


def copy_new_rows(
    provider_id: int, raws: Sequence[Mapping[str, Any]], owners: Mapping[str, int]
) -> int | None:
    """COPY rows the table does not hold yet, with their rollups, atomically.

    Return how many rows were stored; None when the checked path must run.
    """
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
                for at in range(0, len(raws), PIECE_ROWS):
                    copy.write(
                        _fast_piece(raws[at : at + PIECE_ROWS], provider, owners)
                    )
            rollups_rebuild(
                provider_id=provider_id,
                days=[dt.date.fromisoformat(day) for day in days if day],
            )
    except (_KnownRows, DatabaseError):
        return None
    return len(raws)


class _KnownRows(Exception):
    """Some rows are stored already: they need the comparing merge."""
