"""The Vobiz side under load: calls at a chosen CPS against known trunk limits.

The scenario (`run_cps_scenario`) works on a trunk of its own whose limits it
sets at the simulator (CPS 5, 6 concurrent calls by default) and then:

1. places calls at 72% of the trunk's CPS for a few seconds (busiest seconds at
   80%): none may be refused;
2. syncs the CDRs and evaluates the alert rules: the "rate limit approaching"
   rule must fire for that trunk now, before any 429;
3. places calls at 160% of the CPS: the excess must be refused with 429
   RATE_LIMIT_EXCEEDED (limitType cps), and no 1-second window may hold more
   accepted calls than the limit;
4. places long calls until the trunk is full: exactly the concurrent-call limit
   is accepted, the next ones get 429 (limitType concurrency);
5. reads the API request log (sync.ApiCall) for the response times.

The pacing and the verdicts are plain functions (`slots`, `drive`, `summarize`,
`verdicts`), tested against the simulator fixture at a small scale.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

TRUNK_NAME = "Load test dialer"
ANSWER_URL = "https://127.0.0.1/loadtest/answer.xml"
FROM_NUMBER = "+918000000001"


@dataclass(frozen=True)
class CallResult:
    """How one placed call was answered."""

    offset: float  # seconds after the start of the burst, when it was sent
    at: float  # wall-clock epoch seconds when it was sent
    status: int  # HTTP status (0: no answer)
    limit_type: str = ""  # "cps", "concurrency" or "api" for a 429
    scope: str = ""  # "trunk" or "account" for a 429
    ms: float = 0.0


@dataclass
class Burst:
    """The results of one paced burst of calls and what they add up to."""

    label: str
    cps: float
    seconds: float
    results: list[CallResult] = field(default_factory=list)

    def summary(self, limit: int | None = None) -> dict[str, Any]:
        """Return the burst's figures (see `summarize`)."""
        return {
            "label": self.label,
            "cps": self.cps,
            "seconds": self.seconds,
            **summarize(self.results, limit),
        }


def slots(cps: float, seconds: float) -> list[float]:
    """Return the send offsets of evenly paced calls: `cps` a second for `seconds`."""
    if cps <= 0 or seconds <= 0:
        return []
    return [n / cps for n in range(round(cps * seconds))]


def drive(
    place: Callable[[], tuple[int, str, str]],
    *,
    cps: float,
    seconds: float,
    workers: int = 16,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> list[CallResult]:
    """Call `place()` at `cps` for `seconds`, each on time, in a thread pool.

    `place` returns (status, limit_type, scope). A slow answer never delays the
    next call: each call waits for its own slot.
    """
    start = clock()
    wall = time.time() - start

    def one(offset: float) -> CallResult:
        delay = start + offset - clock()
        if delay > 0:
            sleep(delay)
        sent = clock()
        status, limit_type, scope = place()
        return CallResult(
            offset=round(sent - start, 4),
            at=wall + sent,
            status=status,
            limit_type=limit_type,
            scope=scope,
            ms=round((clock() - sent) * 1000, 1),
        )

    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(one, offset) for offset in slots(cps, seconds)]
        results = [f.result() for f in futures]
    return sorted(results, key=lambda r: r.offset)


# The simulator counts calls in a sliding second of its own clock; the client only
# knows when it sent each call, a few milliseconds earlier. Counting in a 0.9 s
# window leaves room for that gap, and still shows any excess at 160% of the limit.
WINDOW = 0.9


def max_in_window(offsets: list[float], window: float = WINDOW) -> int:
    """Return the most offsets that fall within any `window`-long interval."""
    ordered = sorted(offsets)
    best = lo = 0
    for hi, value in enumerate(ordered):
        while value - ordered[lo] >= window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))], 1)


def summarize(results: list[CallResult], limit: int | None = None) -> dict[str, Any]:
    """Add up a burst: accepted, refused by kind, the busiest second, latency."""
    accepted = [r for r in results if 200 <= r.status < 300]
    limited = [r for r in results if r.status == 429]
    kinds: dict[str, int] = {}
    for r in limited:
        key = f"{r.scope or '?'}:{r.limit_type or '?'}"
        kinds[key] = kinds.get(key, 0) + 1
    first_429 = min((r.at for r in limited), default=None)
    busiest = max_in_window([r.offset for r in accepted])
    return {
        "attempted": len(results),
        "accepted": len(accepted),
        "rate_limited": len(limited),
        "rate_limited_by": kinds,
        "other_errors": len(results) - len(accepted) - len(limited),
        "max_accepted_per_window": busiest,
        "limit": limit,
        "first_429_at": first_429,
        "p50_ms": _pct([r.ms for r in results], 0.5),
        "p95_ms": _pct([r.ms for r in results], 0.95),
    }


def verdicts(
    below: dict[str, Any],
    above: dict[str, Any],
    full: dict[str, Any],
    *,
    cps_limit: int,
    concurrency: int,
    alert_fired_at: float | None,
) -> dict[str, bool]:
    """Judge the scenario: limits hold, 429 only above them, alert before 429."""
    first_429 = above.get("first_429_at")
    return {
        "no_429_below_limit": below["rate_limited"] == 0 and below["other_errors"] == 0,
        "429_above_cps_limit": above["rate_limited"] > 0
        and set(above["rate_limited_by"]) == {"trunk:cps"},
        "cps_limit_holds": above["max_accepted_per_window"] <= cps_limit,
        "concurrency_limit_holds": full["accepted"] == concurrency
        and full["rate_limited_by"].get("trunk:concurrency", 0) > 0,
        "alert_before_first_429": alert_fired_at is not None
        and first_429 is not None
        and alert_fired_at < first_429,
    }


# --- against the portal's client (Django set up) -------------------------------------


def placer(
    client: Any, trunk_id: str, **sim: Any
) -> Callable[[], tuple[int, str, str]]:
    """Return a `place()` that makes one call through the portal's Vobiz client."""
    from vobiz.errors import VobizError

    def place() -> tuple[int, str, str]:
        import threading

        from django.db import connection

        try:
            client.make_call(
                FROM_NUMBER, "+919800000002", ANSWER_URL, trunk_id=trunk_id, **sim
            )
            return 201, "", ""
        except VobizError as error:
            scope = "trunk" if "trunk" in str(error) else "account"
            return error.status or 0, str(error.details.get("limitType", "")), scope
        finally:
            # A pool thread's ApiCall rows used a connection of its own: close it.
            # Never the caller's (a test's transaction lives on it).
            if threading.current_thread() is not threading.main_thread():
                connection.close()

    return place


def ensure_trunk(client: Any, *, cps_limit: int, concurrency: int) -> str:
    """Return the scenario trunk's id at Vobiz, with its limits set."""
    found = next((t for t in client.list_trunks() if t.get("name") == TRUNK_NAME), None)
    if found is None:
        found = client.create_trunk(
            TRUNK_NAME, "outbound", concurrency, cps_limit=cps_limit
        )
    else:
        client.update_trunk(
            found["trunk_id"],
            name=TRUNK_NAME,
            max_concurrent_calls=concurrency,
            enabled=True,
            cps_limit=cps_limit,
        )
    return str(found["trunk_id"])


def _retry_busy(fn: Callable[[], Any], timeout: float = 90) -> Any:
    from sync.runs import SyncBusy

    deadline = time.monotonic() + timeout
    while True:
        try:
            return fn()
        except SyncBusy:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


def rate_alert_fired(provider: Any, trunk_remote_id: str) -> float | None:
    """Sync today's CDRs, evaluate the rules; return when the CPS alert fired."""
    from billing.sync import cdrs_sync
    from monitoring import services
    from trunks.models import Trunk

    began = dt.datetime.now(dt.UTC)
    today = began.date()
    _retry_busy(lambda: cdrs_sync(provider=provider, since=today))
    deadline = time.monotonic() + 60
    while services.alerts_evaluate().get("skipped") and time.monotonic() < deadline:
        time.sleep(1)  # the worker's beat is evaluating right now
    trunk = Trunk.objects.get(remote_id=trunk_remote_id)
    alert = cps_alerts(trunk.pk).filter(fired_at__gte=began).order_by("-fired_at")
    first = alert.first()
    return first.fired_at.timestamp() if first else None


def cps_alerts(trunk_pk: int) -> Any:
    """Return the CPS alerts of one trunk (any state)."""
    from monitoring.models import Alert

    return Alert.objects.filter(
        kind="rate_limit", dedup_key__endswith=f"trunk:{trunk_pk}:cps"
    )


def forget_cps_alerts(trunk_remote_id: str) -> None:
    """Delete earlier runs' CPS alerts of the scenario trunk (load-test data only).

    An episode still firing, or one in its cool-down, would keep this run's
    evaluation from firing a new one.
    """
    from trunks.models import Trunk

    trunk = Trunk.objects.filter(remote_id=trunk_remote_id).first()
    if trunk is not None:
        cps_alerts(trunk.pk).delete()


def api_call_figures(since: dt.datetime, until: dt.datetime) -> list[dict[str, Any]]:
    """Return count, p50/p95/p99 and outcomes per endpoint from the API request log."""
    from sync.models import ApiCall

    rows = ApiCall.objects.filter(created_at__gte=since, created_at__lte=until)
    by_path: dict[tuple[str, str], list[tuple[float, str]]] = {}
    for method, path, ms, outcome in rows.values_list(
        "method", "path_template", "duration_ms", "outcome"
    ):
        by_path.setdefault((method, path), []).append((ms, outcome))
    figures = []
    for (method, path), calls in sorted(by_path.items(), key=lambda kv: -len(kv[1])):
        times = [ms for ms, _ in calls]
        outcomes: dict[str, int] = {}
        for _, outcome in calls:
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
        figures.append(
            {
                "endpoint": f"{method} {path}",
                "count": len(calls),
                "p50_ms": _pct(times, 0.5),
                "p95_ms": _pct(times, 0.95),
                "p99_ms": _pct(times, 0.99),
                "mean_ms": round(statistics.fmean(times), 1),
                "outcomes": outcomes,
            }
        )
    return figures


# Calls start evenly, so a busiest calendar second holds 4 calls at 3.6 CPS: 80%
# of a 5-CPS trunk for the alert rule, while any sliding second stays below 5
# unless one call runs 110 ms late (the simulator counts a sliding second).
BELOW_SHARE = 0.72
ABOVE_SHARE = 1.6


def run_cps_scenario(
    provider: Any,
    control: Any,
    *,
    cps_limit: int = 5,
    concurrency: int = 6,
    seconds: float = 6,
) -> dict[str, Any]:
    """Run the whole scenario (module docstring) and return its figures and verdicts.

    During the CPS bursts the trunk allows as many concurrent calls as the
    account (10), so only CPS can refuse a call; it is set to `concurrency` for
    the last burst.
    """
    from sync.clients import client_for
    from trunks.sync import trunks_sync

    began = dt.datetime.now(dt.UTC)
    client = client_for(provider)
    trunk_id = ensure_trunk(client, cps_limit=cps_limit, concurrency=10)
    control.set_balance(1_000_000)
    _retry_busy(lambda: trunks_sync(provider=provider))
    forget_cps_alerts(trunk_id)
    quick = placer(client, trunk_id, sim_outcome="failed")
    below = Burst("72% of the CPS limit", cps_limit * BELOW_SHARE, seconds)
    below.results = drive(quick, cps=below.cps, seconds=seconds)
    time.sleep(3)  # the failed calls ring for at most 2 s: let them end
    fired = rate_alert_fired(provider, trunk_id)
    above = Burst("160% of the CPS limit", cps_limit * ABOVE_SHARE, seconds)
    above.results = drive(quick, cps=above.cps, seconds=seconds)
    time.sleep(3)
    ensure_trunk(client, cps_limit=cps_limit, concurrency=concurrency)
    full = Burst("long calls until the trunk is full", 2, (concurrency + 4) / 2)
    full.results = drive(
        placer(client, trunk_id, sim_outcome="answered", sim_billsec=20, time_limit=20),
        cps=full.cps,
        seconds=full.seconds,
    )
    summaries = [b.summary(cps_limit) for b in (below, above)]
    summaries.append(full.summary(concurrency))
    return {
        "trunk": {
            "name": TRUNK_NAME,
            "remote_id": trunk_id,
            "cps_limit": cps_limit,
            "concurrent_calls_limit": concurrency,
        },
        "bursts": summaries,
        "alert_fired_at": fired,
        "verdicts": verdicts(
            *summaries,
            cps_limit=cps_limit,
            concurrency=concurrency,
            alert_fired_at=fired,
        ),
        "api_calls": api_call_figures(began, dt.datetime.now(dt.UTC)),
        "results": {
            b.label: [asdict(r) for r in b.results] for b in (below, above, full)
        },
    }
