"""Reads for spend per team and budgets; `budget_status` serves the alerts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Sum
from django.db.models.functions import TruncMonth
from django.shortcuts import get_object_or_404

from accounts.models import (
    SubAccount,
    User,
)
from billing.models import (
    BUDGET_THRESHOLDS,
    Budget,
    CdrDailyRollup,
)
from billing.selectors.scope import report_sub_accounts
from core.dates import today_utc

AnyUser = User | AnonymousUser


def month_start(day: dt.date | None = None) -> dt.date:
    """Return the first day of the month of `day` (default: this month, UTC)."""
    return (day or today_utc()).replace(day=1)


def next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _status(spend: Decimal, budget: Decimal | None) -> dict[str, Any]:
    if not budget:
        return {"budget": None, "percent": None, "crossed": [], "status": "none"}
    percent = (spend * 100 / budget).quantize(Decimal("0.1"), ROUND_HALF_UP)
    crossed = [t for t in BUDGET_THRESHOLDS if percent >= t]
    status = {0: "ok", 1: "50", 2: "80", 3: "over"}[len(crossed)]
    return {"budget": budget, "percent": percent, "crossed": crossed, "status": status}


def budget_status(
    *, sub_account: SubAccount, month: dt.date | None = None
) -> dict[str, Any]:
    """Return a team's spend in a month against its budget.

    Keys: sub_account, month (first day), spend and budget (Decimal; budget None
    without one), currency, percent (of the budget, one decimal), crossed (the
    thresholds of BUDGET_THRESHOLDS reached, e.g. [50, 80]) and status ("none",
    "ok", "50", "80" or "over"). Spend is the call cost from the daily rollups.
    Not scoped: callers (views, the alerts engine) decide who may see it.
    """
    first = month_start(month)
    spend = CdrDailyRollup.objects.filter(
        sub_account=sub_account, day__gte=first, day__lt=next_month(first)
    ).aggregate(total=Sum("cost"))["total"] or Decimal(0)
    budget = Budget.objects.filter(sub_account=sub_account).first()
    currency = budget.currency if budget else sub_account.provider_account.currency
    return {
        "sub_account": sub_account,
        "month": first,
        "spend": spend,
        "currency": currency,
        **_status(spend, budget.monthly_amount if budget else None),
    }


def team_spend(*, user: AnyUser, month: dt.date | None = None) -> list[dict[str, Any]]:
    """Return `budget_status` of every visible team for a month, in three queries."""
    first = month_start(month)
    teams = list(
        report_sub_accounts(user=user).select_related("budget", "provider_account")
    )
    spend = dict(
        CdrDailyRollup.objects.filter(
            sub_account__in=[t.pk for t in teams],
            day__gte=first,
            day__lt=next_month(first),
        )
        .values("sub_account_id")
        .annotate(total=Sum("cost"))
        .order_by()
        .values_list("sub_account_id", "total")
    )
    rows = []
    for team in teams:
        budget: Budget | None = getattr(team, "budget", None)
        amount = spend.get(team.pk) or Decimal(0)
        currency = budget.currency if budget else team.provider_account.currency
        rows.append(
            {
                "sub_account": team,
                "month": first,
                "spend": amount,
                "currency": currency,
                **_status(amount, budget.monthly_amount if budget else None),
            }
        )
    return sorted(rows, key=lambda r: (-r["spend"], r["sub_account"].name))


@dataclass
class Showback:
    """Spend per team per month: one row per team, one column per month."""

    months: list[dt.date]
    rows: list[tuple[str, list[Decimal], Decimal]]
    totals: list[Decimal]


def showback(
    *, user: AnyUser, month: dt.date | None = None, count: int = 6
) -> Showback:
    """Return the call cost per team for the `count` months ending with `month`."""
    last = month_start(month)
    months = [last]
    while len(months) < count:
        months.insert(0, month_start(months[0] - dt.timedelta(days=1)))
    rollups = CdrDailyRollup.objects.all()
    if not getattr(user, "sees_all_teams", False):
        # A subquery, not an id list: one query less, and the rollups are small.
        rollups = rollups.filter(
            sub_account__in=report_sub_accounts(user=user).values("pk")
        )
    rows = (
        rollups.filter(day__gte=months[0], day__lt=next_month(last))
        .annotate(month=TruncMonth("day"))
        .values("month", "sub_account__name")
        .annotate(total=Sum("cost"))
        .order_by()
    )
    cost: dict[str, dict[dt.date, Decimal]] = {}
    for row in rows:
        name = row["sub_account__name"] or "Master account"
        when = row["month"]
        when = when.date() if isinstance(when, dt.datetime) else when
        cost.setdefault(name, {})[when] = Decimal(row["total"] or 0)
    table = []
    for name in sorted(cost):
        values = [cost[name].get(m, Decimal(0)) for m in months]
        table.append((name, values, sum(values, Decimal(0))))
    totals = [sum((r[1][i] for r in table), Decimal(0)) for i in range(len(months))]
    return Showback(months=months, rows=table, totals=totals)


def budget_sub_account_get(*, user: AnyUser, sub_account_id: int) -> SubAccount:
    """Return a sub-account the user may see, with its budget, or raise 404."""
    return get_object_or_404(
        report_sub_accounts(user=user).select_related("budget", "provider_account"),
        pk=sub_account_id,
    )
