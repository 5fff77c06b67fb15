"""Sample the sync lag (now - SyncState.last_success_at per kind) while under load."""

from __future__ import annotations

import threading
import time
from typing import Any


class LagSampler(threading.Thread):
    """Every `interval` seconds, record each sync kind's lag under the current phase."""

    def __init__(self, interval: float = 5.0) -> None:
        super().__init__(name="lag-sampler", daemon=True)
        self.interval = interval
        self.phase = "setup"
        self.samples: list[dict[str, Any]] = []
        self._stop_event = threading.Event()

    def run(self) -> None:
        from django.db import connection

        try:
            while not self._stop_event.is_set():
                self.sample()
                self._stop_event.wait(self.interval)
        finally:
            connection.close()

    def sample(self) -> None:
        """Record one sample of every sync kind."""
        from monitoring.selectors import sync_states

        at = time.time()
        for view in sync_states():
            self.samples.append(
                {
                    "phase": self.phase,
                    "at": at,
                    "kind": view.state.kind,
                    "lag_s": round(view.lag.total_seconds(), 1) if view.lag else None,
                    "period_s": view.period,
                    "failing": view.failing,
                }
            )

    def stop(self) -> None:
        """Stop sampling and wait for the thread."""
        self._stop_event.set()
        self.join(timeout=10)


def lag_summary(
    samples: list[dict[str, Any]], phases: tuple[str, ...]
) -> dict[str, Any]:
    """Return the worst lag per kind over the samples of `phases`."""
    kinds: dict[str, dict[str, Any]] = {}
    for s in samples:
        if s["phase"] not in phases:
            continue
        entry = kinds.setdefault(
            s["kind"],
            {
                "kind": s["kind"],
                "period_s": s["period_s"],
                "max_lag_s": None,
                "samples": 0,
                "failing_seen": False,
            },
        )
        entry["samples"] += 1
        entry["failing_seen"] |= bool(s["failing"])
        if s["lag_s"] is not None:
            worst = entry["max_lag_s"]
            entry["max_lag_s"] = s["lag_s"] if worst is None else max(worst, s["lag_s"])
    for entry in kinds.values():
        lag = entry["max_lag_s"]
        entry["overdue_s"] = None if lag is None else round(lag - entry["period_s"], 1)
    return {"kinds": sorted(kinds.values(), key=lambda e: e["period_s"])}
