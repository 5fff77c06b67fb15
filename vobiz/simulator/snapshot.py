"""Persist the state as JSON: debounced after changes, and on shutdown.

Writes go to a temporary file that is renamed over ``state.json``, so a crash
mid-write leaves the previous snapshot intact.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path
from typing import Any

from vobiz.simulator.credentials import write_private_json
from vobiz.simulator.state import SimState, snapshot_path

log = logging.getLogger("vobiz.simulator")


def read_snapshot(data_dir: Path) -> dict[str, Any] | None:
    """Return the saved snapshot, or None if there is none (or it is unreadable)."""
    path = snapshot_path(data_dir)
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        log.warning("ignoring unreadable snapshot %s", path)
        return None
    return data if isinstance(data, dict) else None


class SnapshotWriter:
    """Save the state a short while after it last changed."""

    def __init__(self, state: SimState, data_dir: Path, debounce: float = 0.3) -> None:
        self.state = state
        self.path = snapshot_path(data_dir)
        self.debounce = debounce
        self._saved_version = -1
        self._stop = threading.Event()
        self._write_lock = threading.Lock()
        self._thread = threading.Thread(
            target=self._run, name="sim-snapshot", daemon=True
        )

    def start(self) -> None:
        """Start watching for changes."""
        self._thread.start()

    def _run(self) -> None:
        seen = self.state.version
        first_change: float | None = None
        while not self._stop.wait(self.debounce):
            current = self.state.version
            if current == self._saved_version:
                seen, first_change = current, None
                continue
            first_change = first_change or time.monotonic()
            # Write once a debounce period passed quietly, or every 2 s under load.
            if current == seen or time.monotonic() - first_change > 2.0:
                try:
                    self.flush()
                except OSError:
                    log.exception("could not write the snapshot %s", self.path)
                first_change = None
            seen = current

    def flush(self) -> None:
        """Write the snapshot now."""
        with self._write_lock:
            version = self.state.version
            payload = self.state.to_snapshot()
            write_private_json(self.path, payload, compact=True)
            self._saved_version = version

    def stop(self) -> None:
        """Stop the thread and write a final snapshot."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self.flush()
