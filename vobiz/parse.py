"""Read untrusted values from Vobiz JSON without ever failing on them.

One odd value (a NUL, an over-long name, "NaN" for a fee, a date that does not
exist) must not fail a whole sync or lose the record of a number already paid
for. So every helper here returns something that fits where the portal stores
it: text is cut to its column and loses NUL, whole numbers are clamped into
range, unusable money gives the default and a warning, bad times give None.

These are the rules the portal's syncs applied before the payloads existed
(``sync.runs``, formerly ``portal.sync``); keep both in step until the portal
imports them from here.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = [
    "MONEY_LIMIT",
    "parse_datetime",
    "parse_decimal",
    "parse_int",
    "parse_money",
    "text",
]

logger = logging.getLogger("vobiz.parse")

# Money columns hold 14 digits, 5 after the point.
MONEY_LIMIT = Decimal(10) ** 9

# The largest value a PostgreSQL integer column holds.
INT_MAX = 2**31 - 1


def text(value: Any, limit: int, default: str = "") -> str:
    """Return a remote value as text that fits a column of ``limit`` characters.

    Numbers and other JSON become their text; NUL (which PostgreSQL text cannot
    hold) is dropped; an empty result gives the default.
    """
    if value is None:
        return default
    cleaned = str(value).replace("\x00", "")[:limit]
    return cleaned or default


def parse_int(value: Any, default: int, *, low: int = 0, high: int = INT_MAX) -> int:
    """Parse a whole number; junk gives the default, the rest is kept in range.

    A limit outside what the column (or its check) allows is clamped to the
    nearest bound rather than failing the whole sync.
    """
    try:
        number = int(float(str(value))) if value not in (None, "") else default
    except (ValueError, OverflowError):
        number = default
    return min(max(number, low), high)


def parse_money(value: Any) -> Decimal | None:
    """Parse money from a number, a string or None; None when absent or unusable.

    Junk, NaN, infinities and amounts too large for a money column are
    unusable and logged as a warning; None and "" are simply absent. For the
    callers that have a better fallback than a fixed default (the fee they
    were quoted, say).
    """
    if value is None or value == "":
        return None
    try:
        parsed = Decimal(str(value))
    except InvalidOperation:
        parsed = Decimal("NaN")
    if parsed.is_finite() and abs(parsed) < MONEY_LIMIT:
        return parsed
    logger.warning("unusable amount from Vobiz", extra={"value": str(value)[:40]})
    return None


def parse_decimal(value: Any, default: str = "0") -> Decimal:
    """Parse money from a number, a string or None.

    Junk, NaN, infinities and amounts too large for a money column give the
    default (and a warning): one odd value must not fail a whole sync.
    """
    parsed = parse_money(value)
    return Decimal(default) if parsed is None else parsed


def parse_datetime(value: Any) -> dt.datetime | None:
    """Parse a Vobiz timestamp (ISO 8601, often with Z); None when empty or bad.

    A value whose time part is unreadable keeps its date (the OpenAPI examples
    send some timestamps as a bare date); a naive time is taken as UTC.
    """
    if not value:
        return None
    raw = str(value).strip()
    try:
        parsed = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = dt.datetime.fromisoformat(raw[:10])
        except ValueError:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed
