"""A small ``requests`` client for the ``/__sim__/`` control API."""

from __future__ import annotations

from typing import Any

import requests


class ControlClient:
    """Call the control API of one simulator (used by tests and scripts)."""

    def __init__(self, root_url: str, ca_bundle: str, timeout: float = 30) -> None:
        self.root_url = root_url.rstrip("/")
        self.timeout = timeout
        self._session = requests.Session()
        # REQUESTS_CA_BUNDLE (and proxy variables) would override ``verify``.
        self._session.trust_env = False
        self._session.verify = ca_bundle

    def _call(self, verb: str, name: str, **body: Any) -> Any:
        payload = {k: v for k, v in body.items() if v is not None}
        response = self._session.request(
            verb,
            f"{self.root_url}/__sim__/{name}",
            json=payload if verb == "POST" else None,
            timeout=self.timeout,
        )
        response.raise_for_status()
        return response.json()

    def close(self) -> None:
        """Close the control session."""
        self._session.close()

    def fail(
        self,
        status: int = 500,
        count: int = 1,
        path_prefix: str | None = None,
        method: str | None = None,
        shape: str = "envelope",
        retry_after: int | None = None,
    ) -> Any:
        """Answer the next ``count`` matching requests with ``status``."""
        return self._call(
            "POST",
            "faults/fail",
            status=status,
            count=count,
            path_prefix=path_prefix,
            method=method,
            shape=shape,
            retry_after=retry_after,
        )

    def error_rate(
        self,
        fraction: float,
        statuses: list[int] | None = None,
        seed: int | None = None,
        path_prefix: str | None = None,
    ) -> Any:
        """Fail a random ``fraction`` of requests with a 5xx (0 turns it off)."""
        return self._call(
            "POST",
            "faults/error-rate",
            fraction=fraction,
            statuses=statuses,
            seed=seed,
            path_prefix=path_prefix,
        )

    def rate_limit(
        self,
        retry_after: int = 60,
        count: int | None = None,
        fraction: float | None = None,
        path_prefix: str | None = None,
        seed: int | None = None,
    ) -> Any:
        """Answer 429 with ``Retry-After`` (next ``count`` or a ``fraction``)."""
        return self._call(
            "POST",
            "faults/rate-limit",
            retry_after=retry_after,
            count=count,
            fraction=fraction,
            path_prefix=path_prefix,
            seed=seed,
        )

    def latency(
        self,
        ms: int,
        count: int | None = None,
        path_prefix: str | None = None,
        jitter_ms: int = 0,
    ) -> Any:
        """Delay matching requests by ``ms`` (all of them unless ``count``)."""
        return self._call(
            "POST",
            "faults/latency",
            ms=ms,
            count=count,
            path_prefix=path_prefix,
            jitter_ms=jitter_ms,
        )

    def drop(
        self, count: int = 1, path_prefix: str | None = None, method: str | None = None
    ) -> Any:
        """Close the socket without answering the next ``count`` requests."""
        return self._call(
            "POST", "faults/drop", count=count, path_prefix=path_prefix, method=method
        )

    def fail_after_commit(
        self, count: int = 1, mode: str = "error", status: int = 500, hold_ms: int = 0
    ) -> Any:
        """Let the next purchases land, then answer 500 (``error``), ``drop``, or
        ``hold`` the answer back for ``hold_ms``."""
        return self._call(
            "POST",
            "faults/fail-after-commit",
            count=count,
            mode=mode,
            status=status,
            hold_ms=hold_ms,
        )

    def reset_faults(self) -> Any:
        """Remove every fault."""
        return self._call("POST", "faults/reset")

    def faults(self) -> Any:
        """Return the active faults."""
        return self._call("GET", "faults")

    def advance(self, seconds: float) -> Any:
        """Move the simulated clock forward."""
        return self._call("POST", "clock/advance", seconds=seconds)

    def clock(self) -> Any:
        """Return the simulated time."""
        return self._call("GET", "clock")

    def counters(self) -> Any:
        """Return request/connection counters and faults."""
        return self._call("GET", "counters")

    def reset_counters(self) -> Any:
        """Zero the counters."""
        return self._call("POST", "counters/reset")

    def seed_cdrs(
        self,
        count: int,
        account_id: str | None = None,
        start: str | None = None,
        end: str | None = None,
    ) -> Any:
        """Generate ``count`` extra CDRs between ISO ``start`` and ``end``."""
        return self._call(
            "POST",
            "seed-cdrs",
            count=count,
            account_id=account_id,
            start=start,
            end=end,
        )

    def reset(self) -> Any:
        """Restore the seeded state and clear faults."""
        return self._call("POST", "reset")

    def config(self, **changes: Any) -> Any:
        """Change behaviour switches (no arguments: just read them)."""
        if not changes:
            return self._call("GET", "config")
        return self._call("POST", "config", **changes)

    def set_balance(self, balance: float, currency: str = "INR") -> Any:
        """Set the master wallet's balance (writes a manual_adjustment row)."""
        return self._call("POST", "balance", balance=balance, currency=currency)

    def snapshot(self) -> Any:
        """Write the state snapshot now."""
        return self._call("POST", "snapshot")

    def stats(self) -> Any:
        """Return record counts."""
        return self._call("GET", "stats")
