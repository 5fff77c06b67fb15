"""One way to let one worker at a time work on something: a lease that runs out.

Two flavours of the same idea. A *row lease* lives in the row itself (a
"held until" column, and optionally a token saying whose it is): taking it is one
conditional UPDATE, so exactly one process wins, and a killed worker's lease
simply expires. A *cache lease* lives in the shared cache (Redis `SET NX`) for
work that has no row of its own, such as a sync run.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.core.cache import cache
from django.db.models import Q, QuerySet
from django.utils import timezone


class LeaseLost(Exception):
    """Another worker took the lease over (ours had run out)."""


def row_claim(
    rows: QuerySet[Any],
    *,
    seconds: float,
    until_field: str = "locked_until",
    token_field: str | None = None,
    token: str = "",
    now: dt.datetime | None = None,
) -> int:
    """Take the lease of the rows that are free; return how many were taken.

    A row is free when its `until_field` is empty or past, or (with a token)
    when the lease is already ours, which renews it.
    """
    now = now or timezone.now()
    free = Q(**{f"{until_field}__isnull": True}) | Q(**{f"{until_field}__lt": now})
    changes: dict[str, Any] = {until_field: now + dt.timedelta(seconds=seconds)}
    if token_field is not None:
        free |= Q(**{token_field: token})
        changes[token_field] = token
    return rows.filter(free).update(**changes)


def row_release(
    rows: QuerySet[Any],
    *,
    until_field: str = "locked_until",
    token_field: str | None = None,
    token: str = "",
) -> int:
    """Give the lease of the rows back (only where it is ours, with a token)."""
    changes: dict[str, Any] = {until_field: None}
    if token_field is not None:
        rows = rows.filter(**{token_field: token})
        changes[token_field] = ""
    return rows.update(**changes)


class CacheLease:
    """A lease under one cache key, held with a token only its holder knows."""

    def __init__(self, key: str, seconds: float) -> None:
        self.key = key
        self.seconds = seconds
        self.token = uuid.uuid4().hex

    def acquire(self) -> bool:
        """Take the lease if nobody holds it (atomic: `cache.add`)."""
        return bool(cache.add(self.key, self.token, self.seconds))

    def renew(self) -> None:
        """Extend the lease; raise LeaseLost if another holder has it now."""
        if cache.get(self.key) != self.token:
            raise LeaseLost(self.key)
        cache.touch(self.key, self.seconds)

    def release(self) -> None:
        """Give the lease back if it is still ours."""
        if cache.get(self.key) == self.token:
            cache.delete(self.key)
