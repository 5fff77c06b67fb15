"""Dates the way the portal counts them."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def today_utc() -> dt.date:
    """Return today's date in UTC, the calendar the rollups use."""
    return timezone.now().astimezone(dt.UTC).date()
