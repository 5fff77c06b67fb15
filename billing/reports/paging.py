"""Keyset paging that stays fast on deep pages of millions of rows.

`core.paging.keyset_page` filters with `time < t OR (time = t AND id < pk)`.
PostgreSQL cannot turn that OR into an index range, so a deep page would walk
the index from the top. Adding the redundant bound `time <= t` (or `>= t`) lets
the scan start at the cursor; the OR then only drops a few ties. Cursors are
the same strings `core.paging` makes, so the shared pager template works.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import TypeVar

from django.db import models

from core.paging import KeysetPage, keyset_page

M = TypeVar("M", bound=models.Model)


def cursor_time(cursor: str | None) -> tuple[str, dt.datetime] | None:
    """Return (direction, time) of a cursor, or None when it does not parse."""
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        direction, when, _pk = base64.urlsafe_b64decode(padded).decode().split("|")
        parsed = dt.datetime.fromisoformat(when)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    if direction not in ("o", "n") or parsed.tzinfo is None:
        return None
    return direction, parsed


def bounded_keyset_page(
    queryset: models.QuerySet[M],
    *,
    cursor: str | None,
    size: int = 50,
    time_field: str = "start_time",
) -> KeysetPage[M]:
    """Return the page `cursor` points at, newest first, bounded for the index."""
    decoded = cursor_time(cursor)
    if decoded is not None:
        direction, when = decoded
        lookup = "lte" if direction == "o" else "gte"
        queryset = queryset.filter(**{f"{time_field}__{lookup}": when})
    return keyset_page(
        queryset, cursor=cursor if decoded else None, size=size, time_field=time_field
    )
