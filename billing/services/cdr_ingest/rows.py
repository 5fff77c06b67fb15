"""Check and format one CDR as a row of text values, one per column.

A CDR from Vobiz (a list-endpoint dict or a CSV export row) becomes a row of
checked text values: `parse_cdr` validates and normalises, but converting text
to types is left to PostgreSQL, which does it far faster. One odd value never
fails a batch: it is clipped, normalised or dropped here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any

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


def dedupe(rows: Iterable[Row | None]) -> list[Row]:
    """Drop the rows that could not be parsed and keep one version of each call.

    ON CONFLICT cannot touch one row twice in a statement: the last version wins.
    """
    return list({row[UUID_AT]: row for row in rows if row is not None}.values())
