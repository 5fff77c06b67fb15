"""A circuit breaker whose state lives in a store that processes can share.

Five consecutive transient failures (network errors, 5xx) open the circuit for
30 s. While open, calls fail fast with ``CircuitOpen`` and send nothing. When
the open period is over, exactly one caller becomes the half-open trial: its
success closes the circuit, its failure reopens it for twice as long (capped at
10 minutes).

Concurrency: within one process a lock makes every read-modify-write atomic, so
only one thread wins the trial. Across processes, a store with an atomic
``add`` (``SupportsAdd``; Django's Redis cache has it) decides the single
winner; with a plain get/set store two processes that read the expired state at
the same instant may both send a trial call. Failure counts are best-effort
across processes (a lost increment opens the circuit one failure later), which
is harmless for a breaker.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypedDict

from vobiz.errors import CircuitOpen
from vobiz.interfaces import BreakerStore, SupportsAdd

CLOSED = "closed"
OPEN = "open"
HALF_OPEN = "half_open"


class BreakerState(TypedDict):
    """The serialisable state kept in the store."""

    state: str
    failures: int
    opened_at: float | None
    open_for: float
    trial_started_at: float | None


class MemoryStore:
    """Keep values in this process with expiry on the injected clock.

    It satisfies ``BreakerStore``, ``SupportsAdd`` and ``Cache``; it is the
    default breaker store and handy as a cache in tests and the demo.
    """

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._data: dict[str, tuple[Any, float | None]] = {}

    def get(self, key: str, /) -> Any:
        """Return the live value for ``key``, or None."""
        with self._lock:
            return self._live(key)

    def set(self, key: str, value: Any, ttl_seconds: float | None = None, /) -> None:
        """Store ``value``; None as ``ttl_seconds`` keeps it until replaced."""
        with self._lock:
            self._data[key] = (value, self._expiry(ttl_seconds))

    def add(self, key: str, value: Any, ttl_seconds: float | None = None, /) -> bool:
        """Store ``value`` only if ``key`` has no live value; say whether it did."""
        with self._lock:
            if self._live(key) is not None:
                return False
            self._data[key] = (value, self._expiry(ttl_seconds))
            return True

    def delete(self, key: str, /) -> None:
        """Drop ``key``."""
        with self._lock:
            self._data.pop(key, None)

    def _live(self, key: str) -> Any:
        value, expires_at = self._data.get(key, (None, None))
        if expires_at is not None and self._clock() >= expires_at:
            del self._data[key]
            return None
        return value

    def _expiry(self, ttl_seconds: float | None) -> float | None:
        return None if ttl_seconds is None else self._clock() + ttl_seconds


class CircuitBreaker:
    """Fail fast while Vobiz is down, and probe it with one call at a time."""

    def __init__(
        self,
        store: BreakerStore | None = None,
        *,
        key: str = "vobiz:breaker",
        clock: Callable[[], float] = time.time,
        failure_threshold: int = 5,
        open_seconds: float = 30.0,
        max_open_seconds: float = 600.0,
        trial_timeout: float = 60.0,
    ) -> None:
        self._store: BreakerStore = store if store is not None else MemoryStore(clock)
        self._key = key
        self._clock = clock
        self._threshold = failure_threshold
        self._open_seconds = open_seconds
        self._max_open_seconds = max_open_seconds
        # A trial whose process died must not block the circuit forever.
        self._trial_timeout = trial_timeout
        self._lock = threading.Lock()

    def before_call(self) -> bool:
        """Admit a call, or raise ``CircuitOpen``; return True for the trial call."""
        with self._lock:
            state = self.state()
            if state["state"] == CLOSED:
                return False
            now = self._clock()
            wait = self._wait(state, now)
            if wait > 0 or not self._claim_trial(state):
                raise CircuitOpen(
                    "Vobiz circuit breaker is open; nothing was sent",
                    retry_after=max(wait, 1.0),
                )
            self._save({**state, "state": HALF_OPEN, "trial_started_at": now})
            return True

    def record_success(self, trial: bool) -> None:
        """Note that Vobiz answered: close after a trial, reset the failure count."""
        with self._lock:
            state = self.state()
            if trial or (state["state"] == CLOSED and state["failures"]):
                self._save(self._closed())

    def record_failure(self, trial: bool) -> None:
        """Note a transient failure: count it, or reopen after a failed trial."""
        with self._lock:
            state = self.state()
            if trial:
                doubled = min(state["open_for"] * 2, self._max_open_seconds)
                self._save(self._opened(doubled))
            elif state["state"] == CLOSED:
                failures = state["failures"] + 1
                if failures >= self._threshold:
                    self._save(self._opened(self._open_seconds))
                else:
                    self._save({**state, "failures": failures})
            # A straggler that fails while open or half-open changes nothing:
            # only the trial decides what happens next.

    def is_open(self) -> bool:
        """Return whether a call made now would be refused."""
        state = self.state()
        return state["state"] != CLOSED and self._wait(state, self._clock()) > 0

    def state(self) -> BreakerState:
        """Return the current state (for the API health page)."""
        raw = self._store.get(self._key)
        if isinstance(raw, dict) and raw.get("state") in (CLOSED, OPEN, HALF_OPEN):
            return BreakerState(
                state=str(raw["state"]),
                failures=int(raw.get("failures") or 0),
                opened_at=_optional_float(raw.get("opened_at")),
                open_for=float(raw.get("open_for") or self._open_seconds),
                trial_started_at=_optional_float(raw.get("trial_started_at")),
            )
        return self._closed()

    def _wait(self, state: BreakerState, now: float) -> float:
        if state["state"] == HALF_OPEN:
            started = state["trial_started_at"] or 0.0
            return min(started + self._trial_timeout - now, self._open_seconds)
        return (state["opened_at"] or 0.0) + state["open_for"] - now

    def _claim_trial(self, state: BreakerState) -> bool:
        if not isinstance(self._store, SupportsAdd):
            return True
        # One key per open period (or per stale trial), so every process that
        # saw this same state races for the same key and exactly one wins.
        marker = state["trial_started_at"] if state["state"] == HALF_OPEN else None
        marker = marker if marker is not None else state["opened_at"]
        return self._store.add(f"{self._key}:trial:{marker}", 1, self._trial_timeout)

    def _closed(self) -> BreakerState:
        return BreakerState(
            state=CLOSED,
            failures=0,
            opened_at=None,
            open_for=self._open_seconds,
            trial_started_at=None,
        )

    def _opened(self, open_for: float) -> BreakerState:
        return BreakerState(
            state=OPEN,
            failures=0,
            opened_at=self._clock(),
            open_for=open_for,
            trial_started_at=None,
        )

    def _save(self, state: BreakerState) -> None:
        self._store.set(self._key, dict(state), None)


def _optional_float(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None
