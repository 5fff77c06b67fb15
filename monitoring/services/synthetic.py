"""Synthetic test calls: place a short call, then check what Vobiz did with it.

A check passes when the call is accepted, connects (post-dial delay at most
`MAX_PDD_SECONDS`), leaves a CDR within a short poll, and a call that cost money
shows up as a debit on the ledger. Every step is recorded on the SyntheticCheck
row; the `synthetic_call` alert rule fires while the latest check failed.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from decimal import Decimal
from itertools import islice
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from monitoring.models import SyntheticCheck
from sync.clients import client_for
from sync.errors import describe
from sync.models import ProviderAccount
from vobiz.client import VobizClient
from vobiz.errors import VobizError
from vobiz.payloads import CallRecord

logger = logging.getLogger("monitoring.synthetic")

MAX_PDD_SECONDS = 3.0
# Seconds of talk time asked for: long enough to measure, short enough to cost
# one billing increment.
CALL_SECONDS = 5
POLL_INTERVAL = 5.0
POLLS = 18
# CDRs and ledger rows looked through for the test call (newest first).
SCAN_ROWS = 100
LEASE_SECONDS = 600


def synthetic_numbers() -> tuple[str, str] | None:
    """Return (from, to) of the test call, or None when it is not configured."""
    src = getattr(settings, "SYNTHETIC_CALL_FROM", "")
    dst = getattr(settings, "SYNTHETIC_CALL_TO", "")
    return (src, dst) if src and dst else None


def answer_url() -> str:
    """Return the URL Vobiz fetches when the test call is answered."""
    configured: str = getattr(settings, "SYNTHETIC_CALL_ANSWER_URL", "")
    base: str = settings.PORTAL_BASE_URL
    return configured or base.rstrip("/") + reverse("monitoring:synthetic_answer")


class _Run:
    """The state of one check while it runs."""

    def __init__(self, check: SyntheticCheck) -> None:
        self.check = check

    def step(self, name: str, ok: bool, **facts: Any) -> bool:
        self.check.steps = [*self.check.steps, {"step": name, "ok": ok, **facts}]
        return ok

    def fail(self, error: str) -> SyntheticCheck:
        self.check.error = error[:500]
        return self.finish(ok=False)

    def finish(self, *, ok: bool) -> SyntheticCheck:
        self.check.ok = ok
        self.check.finished_at = timezone.now()
        self.check.save()
        return self.check


def synthetic_call_run(
    *,
    provider: ProviderAccount,
    sleep: Callable[[float], None] = time.sleep,
    polls: int = POLLS,
) -> SyntheticCheck | None:
    """Place one synthetic test call and record the check; None when skipped.

    Skipped when no test numbers are configured or another check of the same
    account is still running (a test call costs money; two must not overlap).
    """
    numbers = synthetic_numbers()
    lease = f"monitoring:synthetic:{provider.auth_id}"
    if numbers is None or not cache.add(lease, 1, LEASE_SECONDS):
        return None
    try:
        return _run(provider, numbers, sleep, polls)
    finally:
        cache.delete(lease)


def _run(
    provider: ProviderAccount,
    numbers: tuple[str, str],
    sleep: Callable[[float], None],
    polls: int,
) -> SyntheticCheck:
    src, dst = numbers
    run = _Run(
        SyntheticCheck.objects.create(
            provider_account=provider,
            started_at=timezone.now(),
            from_number=src,
            to_number=dst,
        )
    )
    client = client_for(provider)
    started = time.monotonic()
    try:
        placed = client.typed.make_call(src, dst, answer_url(), time_limit=CALL_SECONDS)
    except VobizError as exc:
        run.step("make_call", False, error=describe(exc)[:300])
        return run.fail(f"The call was refused: {describe(exc)}")
    run.check.api_ms = round((time.monotonic() - started) * 1000, 1)
    uuid = placed.request_uuid
    run.check.call_uuid = uuid
    if not run.step("make_call", bool(uuid), ms=run.check.api_ms):
        return run.fail("Vobiz accepted the call but returned no request_uuid.")
    try:
        return _verify(run, client, uuid, sleep, polls)
    except VobizError as exc:
        return run.fail(f"Checking the call failed: {describe(exc)}")


def _verify(
    run: _Run,
    client: VobizClient,
    uuid: str,
    sleep: Callable[[float], None],
    polls: int,
) -> SyntheticCheck:
    cdr = _poll_cdr(client, uuid, sleep, polls)
    check = run.check
    check.cdr_found = run.step("cdr", cdr is not None, polls=polls)
    if cdr is None:
        return run.fail(f"No CDR appeared for call {uuid}.")
    check.pdd_seconds = _pdd(cdr, check.api_ms)
    connected = check.pdd_seconds is not None and check.pdd_seconds <= MAX_PDD_SECONDS
    run.step("connect", connected, pdd_seconds=check.pdd_seconds)
    check.answered = cdr.billsec > 0 or cdr.answer_time is not None
    check.cost = cdr.cost
    check.mos = _mos(cdr.mos)
    if not connected:
        return run.fail(
            f"Post-dial delay {check.pdd_seconds}s is over {MAX_PDD_SECONDS:g}s."
        )
    if check.cost > 0:
        check.debited = run.step("debit", _debited(client, uuid), cost=str(check.cost))
        if not check.debited:
            return run.fail(f"The call cost {check.cost} but no debit was found.")
    return run.finish(ok=True)


def _poll_cdr(
    client: VobizClient, uuid: str, sleep: Callable[[float], None], polls: int
) -> CallRecord | None:
    """Look for the call's CDR among the newest outbound ones, a few times."""
    today = timezone.now().astimezone(dt.UTC).date()
    start, end = today - dt.timedelta(days=1), today + dt.timedelta(days=1)
    for attempt in range(polls):
        # Listing (not GET by uuid) keeps a not-yet-written CDR from logging 404s
        # that the error-rate rule would count.
        rows = client.typed.iter_cdrs(start, end, call_direction="outbound")
        for row in islice(rows, SCAN_ROWS):
            if row.uuid == uuid:
                return row
        if attempt + 1 < polls:
            sleep(POLL_INTERVAL)
    return None


def _pdd(cdr: CallRecord, api_ms: float | None) -> float | None:
    """Return the post-dial delay: first progress minus start, from the CDR.

    A CDR without progress_time falls back to how long Vobiz took to accept.
    """
    begun, progress = cdr.start_time, cdr.progress_time
    if begun and progress:
        return max((progress - begun).total_seconds(), 0.0)
    return round(api_ms / 1000, 3) if api_ms is not None else None


def _mos(value: Decimal | None) -> Decimal | None:
    """Fit a MOS score to its column (two places); None stays None."""
    return None if value is None else value.quantize(Decimal("0.01"))


def _debited(client: VobizClient, uuid: str) -> bool:
    """Say whether the newest ledger rows hold a debit that names the call."""
    for row in islice(client.typed.iter_transactions(), SCAN_ROWS):
        if row.type == "debit" and uuid in f"{row.reference} {row.description}":
            return True
    return False
