"""Per-auth-id API request budgets in fixed windows of simulated time."""

from __future__ import annotations

import math
import threading


class RateLimiter:
    """Count requests per auth id and say when a budget is spent."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[int, int]] = {}

    def hit(self, auth_id: str, limit: int, window: int, now: float) -> int | None:
        """Count one request; return the seconds to wait if over ``limit``."""
        if limit <= 0 or window <= 0:
            return None
        index = int(now // window)
        with self._lock:
            current, count = self._windows.get(auth_id, (index, 0))
            if current != index:
                count = 0
            if count >= limit:
                self._windows[auth_id] = (index, count)
                return max(math.ceil((index + 1) * window - now), 1)
            self._windows[auth_id] = (index, count + 1)
        return None

    def reset(self) -> None:
        """Forget every window (a reset of the simulator)."""
        with self._lock:
            self._windows.clear()
