"""The simulated clock: real time plus an offset the control API can move."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime


class SimClock:
    """Tell the simulator's "now" as real time plus an adjustable offset.

    Token expiry, release windows, cool-offs and rate-limit windows all read this
    clock, so tests can jump forward instead of sleeping.
    """

    def __init__(self, offset: float = 0.0) -> None:
        self._offset = offset
        self._lock = threading.Lock()

    @property
    def offset(self) -> float:
        """Return the seconds added to real time."""
        with self._lock:
            return self._offset

    def now(self) -> float:
        """Return the simulated time as epoch seconds."""
        with self._lock:
            return time.time() + self._offset

    def advance(self, seconds: float) -> float:
        """Move the clock forward by ``seconds`` and return the new now."""
        if seconds < 0:
            raise ValueError("the simulated clock only moves forward")
        with self._lock:
            self._offset += seconds
            return time.time() + self._offset

    def set_offset(self, offset: float) -> None:
        """Restore a saved offset (used when a snapshot is loaded)."""
        with self._lock:
            self._offset = max(offset, self._offset)


def iso(ts: float | None) -> str | None:
    """Format epoch seconds as an RFC 3339 UTC string with microseconds."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def iso_seconds(ts: float | None) -> str | None:
    """Format epoch seconds as an RFC 3339 UTC string without fractions."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_millis(ts: float) -> str:
    """Format epoch seconds the way the error envelope's timestamp does."""
    text = datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
    return text[:-3] + "Z"


def parse_iso(text: str) -> float:
    """Parse an ISO 8601 date or datetime (naive means UTC) into epoch seconds."""
    value = text.strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


DAY = 86400


def day_of(ts: float) -> int:
    """Return the UTC day number (days since the epoch) of a timestamp."""
    return int(ts // DAY)
