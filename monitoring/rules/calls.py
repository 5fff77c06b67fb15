"""Call-record rules: ASR dropping below its baseline, toll-fraud patterns, and
team budgets crossing 50/80/100%."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Count, Q, Sum

from accounts.models import SubAccount
from billing.models import Budget, Cdr, CdrDailyRollup
from billing.selectors import budget_status
from monitoring.choices import RuleKind, Severity
from monitoring.models import AlertRule
from monitoring.rules.base import (
    Finding,
    evaluator,
    scoped,
    threshold_or,
    window_start,
)

BASELINE_DAYS = 14
FRAUD_BASELINE_DAYS = 7

# Premium-rate ranges that toll fraud pumps: India's 1900 numbers and the
# international premium (+979) and global-network (+881/+882/+883) codes.
PREMIUM_PREFIXES = (
    "+911900",
    "911900",
    "01900",
    "1900",
    "+979",
    "00979",
    "+881",
    "00881",
    "+882",
    "00882",
    "+883",
    "00883",
)


def answered_q() -> Q:
    """Match answered calls (the same test the rollups use)."""
    return Q(billsec__gt=0) | Q(answer_time__isnull=False)


def _teams(ids: object) -> dict[int, SubAccount]:
    return {t.pk: t for t in SubAccount.objects.filter(pk__in=ids)}


def _asr(answered: int, calls: int) -> float:
    return answered / calls if calls else 0.0


@evaluator(RuleKind.ASR_DROP)
def asr_drop(rule: AlertRule, now: dt.datetime) -> list[Finding]:
    """Fire when a team's recent ASR falls below a fraction of its 14-day ASR.

    The recent window is the rule's (24 hours by default) over raw CDRs; the
    baseline is the 14 full days before it, from the daily rollups.
    """
    ratio = float(threshold_or(rule, "0.7"))
    minimum = max(rule.min_count, 1)
    start = window_start(rule, now)
    recent = {
        row["sub_account_id"]: row
        for row in Cdr.objects.filter(
            **scoped(rule, start_time__gte=start, start_time__lte=now)
        )
        .filter(sub_account_id__isnull=False)
        .values("sub_account_id")
        .annotate(calls=Count("id"), ok=Count("id", filter=answered_q()))
        if row["calls"] >= minimum
    }
    first_day = start.astimezone(dt.UTC).date()
    baseline = {
        row["sub_account_id"]: row
        for row in CdrDailyRollup.objects.filter(
            **scoped(
                rule,
                sub_account_id__in=list(recent),
                day__gte=first_day - dt.timedelta(days=BASELINE_DAYS),
                day__lt=first_day,
            )
        )
        .values("sub_account_id")
        .annotate(calls=Sum("calls"), ok=Sum("answered"))
        if row["calls"] >= minimum
    }
    teams = _teams(baseline)
    findings = []
    for team_id, base in baseline.items():
        now_asr = _asr(recent[team_id]["ok"], recent[team_id]["calls"])
        base_asr = _asr(base["ok"], base["calls"])
        if base_asr <= 0 or now_asr >= ratio * base_asr:
            continue
        team = teams[team_id]
        findings.append(
            Finding(
                key=f"team:{team_id}",
                subject=team.name,
                message=(
                    f"ASR of {team.name} is {now_asr:.0%} over "
                    f"{recent[team_id]['calls']} calls, against a 14-day baseline "
                    f"of {base_asr:.0%}."
                ),
                value=round(now_asr * 100, 1),
                provider_account_id=team.provider_account_id,
                sub_account_id=team_id,
                details={"baseline_asr": round(base_asr, 4), "ratio": ratio},
            )
        )
    return findings


def risky_destination() -> Q:
    """Match numbers outside India (+91), or on a premium-rate range.

    CDRs carry E.164 (`+9180…`), bare digits (`9180…`) or national numbers
    (`080…`, ten digits); all three forms count as domestic.
    """
    domestic = (
        Q(to_number__startswith="+91")
        | Q(to_number__regex=r"^91[0-9]{10}$")
        | Q(to_number__regex=r"^0?[0-9]{10}$")
    )
    premium = Q()
    for prefix in PREMIUM_PREFIXES:
        premium |= Q(to_number__startswith=prefix)
    return (~domestic | premium) & ~Q(to_number="")


@evaluator(RuleKind.TOLL_FRAUD)
def toll_fraud(rule: AlertRule, now: dt.datetime) -> list[Finding]:
    """Fire when a team's calls to risky destinations jump far above its baseline.

    The baseline is the team's average count of such calls per window over the
    previous seven days.
    """
    start = window_start(rule, now)
    since = start - dt.timedelta(days=FRAUD_BASELINE_DAYS)
    rows = (
        Cdr.objects.filter(
            **scoped(rule, start_time__gte=since, start_time__lte=now),
            direction="outbound",
            sub_account_id__isnull=False,
        )
        .filter(risky_destination())
        .values("sub_account_id")
        .annotate(
            now=Count("id", filter=Q(start_time__gte=start)),
            before=Count("id", filter=Q(start_time__lt=start)),
        )
    )
    windows = FRAUD_BASELINE_DAYS * 24 * 60 / rule.window_minutes
    multiple = float(threshold_or(rule, "5"))
    minimum = max(rule.min_count, 1)
    hits = {
        r["sub_account_id"]: (r["now"], r["before"] / windows)
        for r in rows
        if r["now"] >= minimum and r["now"] > multiple * (r["before"] / windows)
    }
    teams = _teams(hits)
    return [
        Finding(
            key=f"team:{team_id}",
            subject=teams[team_id].name,
            message=(
                f"{teams[team_id].name} placed {count} calls to international or "
                f"premium numbers in {rule.window_minutes} min; its usual is "
                f"{usual:.1f}."
            ),
            value=count,
            severity=Severity.CRITICAL,
            provider_account_id=teams[team_id].provider_account_id,
            sub_account_id=team_id,
            details={"baseline_per_window": round(usual, 2)},
        )
        for team_id, (count, usual) in hits.items()
    ]


@evaluator(RuleKind.BUDGET)
def budget(rule: AlertRule, now: dt.datetime) -> list[Finding]:
    """Fire once per team, month and threshold (50/80/100%) its spend has crossed.

    The month is in the key, so a new month starts new episodes, and last
    month's alerts resolve when its spend no longer counts.
    """
    month = now.astimezone(dt.UTC).date().replace(day=1)
    findings = []
    budgets = Budget.objects.filter(**scoped(rule)).select_related(
        "sub_account__provider_account"
    )
    for row in budgets:
        status = budget_status(sub_account=row.sub_account, month=month)
        for crossed in status["crossed"]:
            findings.append(_budget_finding(row, status, crossed, month))
    return findings


def _budget_finding(
    row: Budget, status: dict[str, object], crossed: int, month: dt.date
) -> Finding:
    team = row.sub_account
    spend = Decimal(str(status["spend"]))
    return Finding(
        key=f"budget:{team.pk}:{month:%Y-%m}:{crossed}",
        subject=team.name,
        message=(
            f"{team.name} has spent {spend:,.2f} {status['currency']} in "
            f"{month:%B %Y}: {status['percent']}% of its budget of "
            f"{row.monthly_amount:,.2f} (crossed {crossed}%)."
        ),
        value=float(str(status["percent"])),
        severity=Severity.CRITICAL if crossed >= 100 else Severity.WARNING,
        provider_account_id=team.provider_account_id,
        sub_account_id=team.pk,
        details={"threshold_percent": crossed, "month": f"{month:%Y-%m}"},
    )
