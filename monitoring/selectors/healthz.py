"""`/healthz`: can this process reach its database, cache and broker?

Each check reports only ok, how long it took and, on failure, the exception's
class name: messages can carry host names and URLs with passwords in them.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from kombu.connection import Connection

from monitoring.selectors.api import breaker_states

BROKER_TIMEOUT = 2.0


@dataclass(frozen=True)
class CheckResult:
    """How one dependency answered."""

    ok: bool
    ms: float
    error: str = ""

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"ok": self.ok, "ms": self.ms}
        if self.error:
            data["error"] = self.error
        return data


def _timed(check: Callable[[], bool]) -> CheckResult:
    started = time.monotonic()
    try:
        ok = check()
        error = "" if ok else "unexpected answer"
    except Exception as exc:
        ok, error = False, type(exc).__name__
    return CheckResult(ok, round((time.monotonic() - started) * 1000, 1), error)


def check_database() -> bool:
    """Run `SELECT 1`."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return bool(cursor.fetchone() == (1,))


def check_cache() -> bool:
    """Write, read back and delete a random key."""
    key, value = f"healthz:{secrets.token_hex(8)}", secrets.token_hex(8)
    cache.set(key, value, 10)
    try:
        return bool(cache.get(key) == value)
    finally:
        cache.delete(key)


def check_broker() -> bool:
    """Open a connection to the Celery broker, retrying once, with a short timeout."""
    options = dict(getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}) or {})
    url: str = settings.CELERY_BROKER_URL
    if url.startswith("filesystem://"):
        # kombu's filesystem transport "connects" to anything; check the folder.
        folder = Path(str(options.get("data_folder_in", "")))
        return folder.is_dir()
    with Connection(  # type: ignore[no-untyped-call]
        url, connect_timeout=BROKER_TIMEOUT, transport_options=options
    ) as conn:
        conn.ensure_connection(
            max_retries=1, interval_start=0, interval_step=0.2, timeout=BROKER_TIMEOUT
        )
        return bool(conn.connected)


CHECKS: dict[str, Callable[[], bool]] = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
}


def health_report() -> tuple[bool, dict[str, Any]]:
    """Run every check; return whether all passed and the JSON body to send.

    Breaker states are reported but do not fail the check: an open breaker
    means Vobiz is unwell, not this process, and a load balancer that took
    every portal node out of service over it would make things worse.
    """
    results = {name: _timed(check) for name, check in CHECKS.items()}
    healthy = all(r.ok for r in results.values())
    body: dict[str, Any] = {name: r.as_dict() for name, r in results.items()}
    try:
        breakers = {b.provider.auth_id: b.state for b in breaker_states()}
    except Exception as exc:
        breakers = {"error": type(exc).__name__}
    degraded = any(state != "closed" for state in breakers.values())
    status = "fail" if not healthy else ("degraded" if degraded else "ok")
    return healthy, {"status": status, "checks": body, "breakers": breakers}
