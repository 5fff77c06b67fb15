"""Keyset ("Older / Newer") paging for big, time-ordered tables.

No `COUNT(*)` and no `OFFSET`: a page is the rows just past a cursor on
(time, id), so the thousandth page costs what the first one does.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import models
from django.db.models import Q

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class KeysetPage(Generic[M]):
    """One page of rows, newest first, with cursors to the neighbouring pages."""

    items: list[M]
    older: str | None
    newer: str | None

    @property
    def has_other_pages(self) -> bool:
        return bool(self.older or self.newer)


def _encode(direction: str, when: dt.datetime, pk: Any) -> str:
    raw = f"{direction}|{when.isoformat()}|{pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> tuple[str, dt.datetime, int] | None:
    """Return (direction, time, id), or None for a cursor that does not parse."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        direction, when, pk = base64.urlsafe_b64decode(padded).decode().split("|")
        parsed = dt.datetime.fromisoformat(when)
        if direction not in ("o", "n") or parsed.tzinfo is None:
            return None
        return direction, parsed, int(pk)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None


def keyset_page(
    queryset: models.QuerySet[M],
    *,
    cursor: str | None,
    size: int = 50,
    time_field: str = "created_at",
) -> KeysetPage[M]:
    """Return the page of `queryset` (newest first) that `cursor` points at.

    An unreadable cursor gives the first page rather than an error.
    """
    decoded = _decode(cursor) if cursor else None
    if decoded is None:
        rows = list(queryset.order_by(f"-{time_field}", "-pk")[: size + 1])
        return _older_page(rows, size, time_field, has_newer=False)
    direction, when, pk = decoded
    if direction == "o":
        older_q = Q(**{f"{time_field}__lt": when}) | Q(
            **{time_field: when, "pk__lt": pk}
        )
        rows = list(
            queryset.filter(older_q).order_by(f"-{time_field}", "-pk")[: size + 1]
        )
        return _older_page(rows, size, time_field, has_newer=True)
    newer_q = Q(**{f"{time_field}__gt": when}) | Q(**{time_field: when, "pk__gt": pk})
    rows = list(queryset.filter(newer_q).order_by(time_field, "pk")[: size + 1])
    has_newer = len(rows) > size
    items = list(reversed(rows[:size]))
    return _make_page(items, time_field, has_older=True, has_newer=has_newer)


def _older_page(
    rows: list[M], size: int, time_field: str, *, has_newer: bool
) -> KeysetPage[M]:
    items = rows[:size]
    return _make_page(
        items, time_field, has_older=len(rows) > size, has_newer=has_newer
    )


def _make_page(
    items: list[M], time_field: str, *, has_older: bool, has_newer: bool
) -> KeysetPage[M]:
    older = newer = None
    if items and has_older:
        last = items[-1]
        older = _encode("o", getattr(last, time_field), last.pk)
    if items and has_newer:
        first = items[0]
        newer = _encode("n", getattr(first, time_field), first.pk)
    return KeysetPage(items=items, older=older, newer=newer)
