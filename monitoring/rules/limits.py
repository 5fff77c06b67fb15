"""Rate limits approaching: API requests per minute per sub-account, and a
trunk's calls per second and concurrent calls."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db.models import Count
from django.db.models.functions import TruncMinute

from accounts.models import SubAccount
from billing.models import Cdr
from monitoring.choices import Outcome, RuleKind, Severity
from monitoring.models import AlertRule
from monitoring.rules.base import (
    Finding,
    evaluator,
    pct,
    scoped,
    threshold_or,
    window_start,
)
from sync.models import ApiCall
from trunks.models import Trunk

# Calls of one window examined for CPS and concurrency; far more than a trunk
# with a two-digit concurrency limit can carry in the default five minutes.
MAX_CALLS_EXAMINED = 50_000


def _api_peaks(rule: AlertRule, now: dt.datetime) -> dict[int, int]:
    """Return the busiest minute's request count per sub-account in the window."""
    rows = (
        ApiCall.objects.filter(
            **scoped(rule, created_at__gte=window_start(rule, now), created_at__lte=now)
        )
        .filter(sub_account_id__isnull=False)
        # Refused by the breaker: nothing reached Vobiz, so nothing counts.
        .exclude(outcome=Outcome.CIRCUIT_OPEN)
        .annotate(minute=TruncMinute("created_at"))
        .values("sub_account_id", "minute")
        .annotate(n=Count("id"))
    )
    peaks: dict[int, int] = defaultdict(int)
    for row in rows:
        peaks[row["sub_account_id"]] = max(peaks[row["sub_account_id"]], row["n"])
    return peaks


def _api_findings(rule: AlertRule, now: dt.datetime, share: Decimal) -> list[Finding]:
    peaks = _api_peaks(rule, now)
    findings = []
    for team in SubAccount.objects.filter(pk__in=peaks):
        peak, limit = peaks[team.pk], team.rate_limit
        used = pct(peak, limit)
        if Decimal(used) < share:
            continue
        findings.append(
            Finding(
                key=f"api:{team.pk}",
                subject=team.name,
                message=(
                    f"{team.name} made {peak} API requests in one minute: "
                    f"{used:.0f}% of its limit of {limit}."
                ),
                value=round(used, 1),
                severity=Severity.CRITICAL if used >= 100 else Severity.WARNING,
                provider_account_id=team.provider_account_id,
                sub_account_id=team.pk,
                details={"peak_per_minute": peak, "limit": limit},
            )
        )
    return findings


def peak_cps(starts: Iterable[dt.datetime]) -> int:
    """Return the most calls that started within one and the same second."""
    per_second = Counter(int(start.timestamp()) for start in starts)
    return max(per_second.values(), default=0)


def peak_concurrency(calls: Iterable[tuple[dt.datetime, dt.datetime]]) -> int:
    """Return the most calls that were up at the same time (a sweep over edges)."""
    edges = []
    for start, end in calls:
        edges.append((start, 1))
        edges.append((max(end, start), -1))
    # At equal times an end sorts before a start: back-to-back calls do not overlap.
    edges.sort(key=lambda edge: (edge[0], edge[1]))
    current = peak = 0
    for _, step in edges:
        current += step
        peak = max(peak, current)
    return peak


def _trunk_calls(
    rule: AlertRule, now: dt.datetime
) -> dict[str, list[tuple[dt.datetime, dt.datetime]]]:
    rows = (
        Cdr.objects.filter(
            **scoped(rule, start_time__gte=window_start(rule, now), start_time__lte=now)
        )
        .exclude(trunk_remote_id="")
        .order_by("-start_time")
        .values_list("trunk_remote_id", "start_time", "end_time", "duration")
    )
    calls: dict[str, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
    for trunk_id, start, end, duration in rows[:MAX_CALLS_EXAMINED]:
        calls[trunk_id].append(
            (start, end or start + dt.timedelta(seconds=duration or 0))
        )
    return calls


def _trunk_findings(rule: AlertRule, now: dt.datetime, share: Decimal) -> list[Finding]:
    calls = _trunk_calls(rule, now)
    findings = []
    for trunk in Trunk.objects.present().filter(remote_id__in=calls):
        mine = calls[trunk.remote_id]
        measured = (
            ("cps", "calls per second", peak_cps(s for s, _ in mine), trunk.cps_limit),
            (
                "concurrency",
                "concurrent calls",
                peak_concurrency(mine),
                trunk.concurrent_calls_limit,
            ),
        )
        for name, label, peak, limit in measured:
            used = pct(peak, limit)
            if not limit or Decimal(used) < share:
                continue
            findings.append(
                Finding(
                    key=f"trunk:{trunk.pk}:{name}",
                    subject=trunk.name,
                    message=(
                        f"Trunk {trunk.name} reached {peak} {label}: {used:.0f}% "
                        f"of its limit of {limit}."
                    ),
                    value=round(used, 1),
                    severity=Severity.CRITICAL if used >= 100 else Severity.WARNING,
                    provider_account_id=trunk.provider_account_id,
                    sub_account_id=trunk.sub_account_id,
                    details={"measure": name, "peak": peak, "limit": limit},
                )
            )
    return findings


@evaluator(RuleKind.RATE_LIMIT)
def rate_limit(rule: AlertRule, now: dt.datetime) -> list[Finding]:
    """Fire when API traffic or a trunk's calls come near their Vobiz limits."""
    share = threshold_or(rule, "80")
    return _api_findings(rule, now, share) + _trunk_findings(rule, now, share)
