"""Reads for the API request log and the API health page (admins)."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.db import connection
from django.db.models import (
    Aggregate,
    Avg,
    Count,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.utils import timezone

from accounts.models import require_admin
from monitoring.choices import FAILURE_OUTCOMES, Outcome
from monitoring.filters import ApiCallFilter
from monitoring.models import SyntheticCheck
from monitoring.selectors.common import AnyUser, Filters
from sync.clients import breaker_for
from sync.models import ApiCall, ProviderAccount, SyncState
from sync.runs import sync_activity

WINDOWS = {"1h": dt.timedelta(hours=1), "24h": dt.timedelta(hours=24)}
# Rows read for percentiles where the database cannot compute them (SQLite):
# the newest ones of the window, enough for a stable p95.
PERCENTILE_SAMPLE = 20_000
# How often each sync runs (beat schedule); a sync three periods late is stale.
SYNC_PERIODS = {"balance": 60, "cdrs": 300, "rollups": 86_400}
DEFAULT_SYNC_PERIOD = 900


# --- API request log ----------------------------------------------------------


def apicall_list(*, user: AnyUser, filters: Filters = None) -> ApiCallFilter:
    """Return the filter over every API call, newest first (admins)."""
    require_admin(user)
    queryset = ApiCall.objects.select_related("sub_account")
    return ApiCallFilter(filters or None, queryset=queryset)


# --- API health ---------------------------------------------------------------


class PercentileCont(Aggregate):
    """PostgreSQL's `percentile_cont(f) WITHIN GROUP (ORDER BY expr)`."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: str, fraction: float, **extra: Any) -> None:
        # The fraction is ours, never user input, so it may go into the SQL text.
        super().__init__(expression, fraction=repr(float(fraction)), **extra)


def percentile(values: list[float], fraction: float) -> float | None:
    """Return the percentile of values by linear interpolation (percentile_cont)."""
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass
class EndpointStats:
    """Counts and latency of one endpoint (path template) over a window."""

    path_template: str
    total: int
    ok: int
    failed: int
    rate_limited: int
    token_refreshes: int
    avg_ms: float | None
    p50_ms: float | None = None
    p95_ms: float | None = None

    @property
    def failure_rate(self) -> float:
        return 100.0 * self.failed / self.total if self.total else 0.0

    @property
    def success_rate(self) -> float:
        return 100.0 * self.ok / self.total if self.total else 0.0


def _window_calls(since: dt.datetime, until: dt.datetime) -> QuerySet[ApiCall]:
    return ApiCall.objects.filter(created_at__gte=since, created_at__lte=until)


def _sent() -> Q:
    # Refused by the breaker: nothing went over the wire, so no latency.
    return ~Q(outcome=Outcome.CIRCUIT_OPEN)


def endpoint_stats(*, since: dt.datetime, until: dt.datetime) -> list[EndpointStats]:
    """Return per-endpoint counts and p50/p95 latency of API calls in a window.

    PostgreSQL computes the percentiles in the grouping query; elsewhere they
    come from the newest `PERCENTILE_SAMPLE` rows of the window.
    """
    postgres = connection.vendor == "postgresql"
    extra: dict[str, Any] = {}
    if postgres:
        extra = {
            "p50": PercentileCont("duration_ms", 0.5, filter=_sent()),
            "p95": PercentileCont("duration_ms", 0.95, filter=_sent()),
        }
    rows = (
        _window_calls(since, until)
        .values("path_template")
        .annotate(
            total=Count("id", filter=~Q(outcome=Outcome.TOKEN_REFRESH)),
            ok=Count("id", filter=Q(outcome=Outcome.OK)),
            failed=Count("id", filter=Q(outcome__in=FAILURE_OUTCOMES)),
            rate_limited=Count("id", filter=Q(outcome=Outcome.RATE_LIMITED)),
            token_refreshes=Count("id", filter=Q(outcome=Outcome.TOKEN_REFRESH)),
            avg_ms=Avg("duration_ms", filter=_sent()),
            **extra,
        )
        .order_by("-total", "path_template")
    )
    stats = [
        EndpointStats(
            path_template=r["path_template"],
            total=r["total"],
            ok=r["ok"],
            failed=r["failed"],
            rate_limited=r["rate_limited"],
            token_refreshes=r["token_refreshes"],
            avg_ms=r["avg_ms"],
            p50_ms=r.get("p50"),
            p95_ms=r.get("p95"),
        )
        for r in rows
    ]
    if not postgres:
        _sample_percentiles(stats, since, until)
    return stats


def _sample_percentiles(
    stats: list[EndpointStats], since: dt.datetime, until: dt.datetime
) -> None:
    sample = (
        _window_calls(since, until)
        .filter(_sent())
        .order_by("-created_at")
        .values_list("path_template", "duration_ms")[:PERCENTILE_SAMPLE]
    )
    durations: dict[str, list[float]] = defaultdict(list)
    for template, ms in sample:
        durations[template].append(ms)
    for row in stats:
        row.p50_ms = percentile(durations[row.path_template], 0.5)
        row.p95_ms = percentile(durations[row.path_template], 0.95)


def errors_by_code(
    *, since: dt.datetime, until: dt.datetime, limit: int = 20
) -> list[dict[str, Any]]:
    """Return failed calls grouped by error code and status, most frequent first."""
    rows = (
        _window_calls(since, until)
        .filter(outcome__in=FAILURE_OUTCOMES)
        .values("error_code", "status", "outcome")
        .annotate(n=Count("id"))
        .order_by("-n", "error_code")[:limit]
    )
    return [{**r, "label": error_label(r["error_code"], r["status"])} for r in rows]


def error_label(code: str, status: int | None) -> str:
    """Name an error by its Vobiz code, else its HTTP status, else as a network one."""
    if code:
        return code
    return f"HTTP {status}" if status else "network / no response"


@dataclass
class Totals:
    """Every endpoint of a window added up."""

    total: int
    ok: int
    failed: int
    rate_limited: int
    token_refreshes: int

    @property
    def failure_rate(self) -> float:
        return 100.0 * self.failed / self.total if self.total else 0.0

    @property
    def success_rate(self) -> float:
        return 100.0 * self.ok / self.total if self.total else 0.0


def totals_of(stats: list[EndpointStats]) -> Totals:
    """Add per-endpoint figures up."""
    return Totals(
        total=sum(s.total for s in stats),
        ok=sum(s.ok for s in stats),
        failed=sum(s.failed for s in stats),
        rate_limited=sum(s.rate_limited for s in stats),
        token_refreshes=sum(s.token_refreshes for s in stats),
    )


# The states the client's circuit breaker keeps in the shared cache.
BREAKER_STATES = ("closed", "open", "half_open")


@dataclass
class BreakerView:
    """The circuit breaker of one provider account, as the cache holds it."""

    provider: ProviderAccount
    state: str
    failures: int
    open_until: dt.datetime | None

    @property
    def tone(self) -> str:
        return {"closed": "green", "half_open": "amber"}.get(self.state, "red")

    @property
    def label(self) -> str:
        return self.state.replace("_", "-")


def _providers_with_last_check() -> QuerySet[ProviderAccount]:
    # The latest synthetic test call rides along, so the page needs no query more.
    latest = SyntheticCheck.objects.filter(provider_account=OuterRef("pk")).order_by(
        "-started_at", "-pk"
    )
    return ProviderAccount.objects.order_by("label").annotate(
        check_ok=Subquery(latest.values("ok")[:1]),
        check_at=Subquery(latest.values("started_at")[:1]),
        check_error=Subquery(latest.values("error")[:1]),
    )


def breaker_states() -> list[BreakerView]:
    """Return every provider account's breaker state from the shared cache.

    Each provider carries its latest synthetic test call as `check_ok`,
    `check_at` and `check_error` (None without one).
    """
    views = []
    for provider in _providers_with_last_check():
        state = breaker_for(provider).state()
        opened = state.get("opened_at")
        until = None
        if opened is not None and state["state"] != "closed":
            until = dt.datetime.fromtimestamp(opened + state["open_for"], tz=dt.UTC)
        views.append(
            BreakerView(
                provider=provider,
                state=state["state"],
                failures=state["failures"],
                open_until=until,
            )
        )
    return views


@dataclass
class SyncView:
    """The last run of one sync kind of one account, with its lag."""

    state: SyncState
    lag: dt.timedelta | None
    period: int

    @property
    def failing(self) -> bool:
        s = self.state
        return bool(
            s.last_error_at
            and (s.last_success_at is None or s.last_error_at > s.last_success_at)
        )

    @property
    def stale(self) -> bool:
        return self.lag is None or self.lag.total_seconds() > 3 * self.period

    @property
    def tone(self) -> str:
        return "red" if self.failing else ("amber" if self.stale else "green")

    @cached_property
    def activity(self) -> dict[str, Any]:
        """Running (with progress) or queued right now, from the cache."""
        return sync_activity(self.state.provider_account, self.state.kind)

    @property
    def busy(self) -> bool:
        return bool(self.activity["running"] or self.activity["queued"])


def sync_states(*, now: dt.datetime | None = None) -> list[SyncView]:
    """Return each sync's last success and lag, for every provider account."""
    now = now or timezone.now()
    rows = SyncState.objects.select_related("provider_account").order_by(
        "provider_account__label", "kind"
    )
    return [
        SyncView(
            state=row,
            lag=(now - row.last_success_at) if row.last_success_at else None,
            period=SYNC_PERIODS.get(row.kind, DEFAULT_SYNC_PERIOD),
        )
        for row in rows
    ]


def api_health(*, user: AnyUser, window: str = "1h") -> dict[str, Any]:
    """Return what the API health page shows for a window of `1h` or `24h` (admins)."""
    require_admin(user)
    until = timezone.now()
    since = until - WINDOWS.get(window, WINDOWS["1h"])
    stats = endpoint_stats(since=since, until=until)
    return {
        "window": window if window in WINDOWS else "1h",
        "since": since,
        "endpoints": stats,
        "totals": totals_of(stats),
        "errors": errors_by_code(since=since, until=until),
        "breakers": breaker_states(),
        "syncs": sync_states(now=until),
    }


def api_health_summary(*, user: AnyUser) -> dict[str, Any]:
    """Return the last hour's totals and open breakers for the dashboard (admins)."""
    require_admin(user)
    until = timezone.now()
    rows = (
        _window_calls(until - WINDOWS["1h"], until)
        .exclude(outcome=Outcome.TOKEN_REFRESH)
        .aggregate(
            total=Count("id"),
            ok=Count("id", filter=Q(outcome=Outcome.OK)),
            failed=Count("id", filter=Q(outcome__in=FAILURE_OUTCOMES)),
            rate_limited=Count("id", filter=Q(outcome=Outcome.RATE_LIMITED)),
        )
    )
    totals = Totals(token_refreshes=0, **rows)
    breakers = breaker_states()
    return {
        "totals": totals,
        "open_breakers": [b for b in breakers if b.state != "closed"],
        "breaker_count": len(breakers),
    }
