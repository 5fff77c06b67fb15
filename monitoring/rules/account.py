"""Account-wide rules: low balance, API error rate, failed synthetic test calls."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Count, Q

from billing.models import BalanceSnapshot
from billing.selectors.balance import balance_is_low
from monitoring.choices import FAILURE_OUTCOMES, Outcome, RuleKind, Severity
from monitoring.models import AlertRule, SyntheticCheck
from monitoring.rules.base import (
    Finding,
    evaluator,
    pct,
    scoped,
    threshold_or,
    window_start,
)
from sync.models import ApiCall, ProviderAccount


def _providers() -> dict[int, ProviderAccount]:
    return {p.pk: p for p in ProviderAccount.objects.all()}


@evaluator(RuleKind.BALANCE_LOW)
def balance_low(rule: AlertRule, now: dt.datetime) -> list[Finding]:
    """Fire when the latest available balance is below the threshold.

    The rule's own threshold wins; without one, the low-balance threshold Vobiz
    reports on the snapshot is used. Whether that is low is billing's one
    definition (`balance_is_low`): a zero threshold means "not configured".
    """
    findings = []
    for provider in _providers().values():
        snapshot = (
            BalanceSnapshot.objects.filter(provider_account=provider)
            .order_by("-taken_at", "-pk")
            .first()
        )
        if snapshot is None:
            continue
        limit = (
            rule.threshold
            if rule.threshold is not None
            else snapshot.low_balance_threshold
        )
        available = snapshot.available_balance
        if not balance_is_low(available=available, threshold=limit):
            continue
        findings.append(_balance_finding(provider, snapshot, limit))
    return findings


def _balance_finding(
    provider: ProviderAccount, snapshot: BalanceSnapshot, limit: Decimal
) -> Finding:
    available, currency = snapshot.available_balance, snapshot.currency
    return Finding(
        key=f"provider:{provider.pk}",
        subject=provider.label,
        message=(
            f"Available balance {available:,.2f} {currency} is "
            f"below {limit:,.2f} {currency}."
        ),
        value=float(available),
        severity=Severity.CRITICAL if available <= 0 else Severity.WARNING,
        provider_account_id=provider.pk,
        details={
            "threshold": str(limit),
            "taken_at": snapshot.taken_at.isoformat(),
        },
    )


@evaluator(RuleKind.ERROR_RATE)
def error_rate(rule: AlertRule, now: dt.datetime) -> list[Finding]:
    """Fire when too large a share of API requests in the window failed."""
    limit = threshold_or(rule, "5")
    minimum = max(rule.min_count, 1)
    rows = (
        ApiCall.objects.filter(
            **scoped(rule, created_at__gte=window_start(rule, now), created_at__lte=now)
        )
        .exclude(outcome=Outcome.TOKEN_REFRESH)
        .values("provider_account_id")
        .annotate(
            total=Count("id"),
            failed=Count("id", filter=Q(outcome__in=FAILURE_OUTCOMES)),
        )
    )
    providers = _providers()
    findings = []
    for row in rows:
        rate = pct(row["failed"], row["total"])
        provider = providers.get(row["provider_account_id"])
        if provider is None or row["total"] < minimum or Decimal(rate) <= limit:
            continue
        findings.append(
            Finding(
                key=f"provider:{provider.pk}",
                subject=provider.label,
                message=(
                    f"{rate:.1f}% of {row['total']} API requests failed in the last "
                    f"{rule.window_minutes} min (limit {limit}%)."
                ),
                value=round(rate, 2),
                severity=Severity.CRITICAL if rate >= 50 else Severity.WARNING,
                provider_account_id=provider.pk,
                sub_account_id=rule.sub_account_id,
                details={"requests": row["total"], "failed": row["failed"]},
            )
        )
    return findings


@evaluator(RuleKind.SYNTHETIC_CALL)
def synthetic_call(rule: AlertRule, now: dt.datetime) -> list[Finding]:
    """Fire while the latest synthetic test call of an account failed."""
    checks = SyntheticCheck.objects.filter(
        started_at__gte=window_start(rule, now), started_at__lte=now
    ).select_related("provider_account")
    latest: dict[int, SyntheticCheck] = {}
    for check in checks.order_by("started_at", "pk"):
        latest[check.provider_account_id] = check
    return [
        Finding(
            key=f"provider:{check.provider_account_id}",
            subject=check.provider_account.label,
            message=f"Synthetic test call failed: {check.error or 'see the check'}",
            severity=Severity.CRITICAL,
            provider_account_id=check.provider_account_id,
            details={"check_id": check.pk, "call_uuid": check.call_uuid},
        )
        for check in latest.values()
        if not check.ok
    ]
