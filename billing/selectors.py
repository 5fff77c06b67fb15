"""Reads for the billing pages, always scoped to what the user may see.

Admins and finance see every team (and the master account's own calls); a lead
or viewer sees only their teams' calls and spend, and never the company balance
or ledger.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Max, QuerySet, Sum
from django.db.models.functions import TruncDate, TruncMonth
from django.http import QueryDict
from django.shortcuts import get_object_or_404

from accounts.models import (
    ProviderAccount,
    SubAccount,
    User,
    require_admin_or_finance,
)
from billing.filters import CdrCriteria, TransactionFilter, day_start
from billing.forms import today_utc
from billing.models import (
    BUDGET_THRESHOLDS,
    BalanceSnapshot,
    Budget,
    Cdr,
    CdrDailyRollup,
    Transaction,
)
from billing.reports import cdr as cdr_reports
from billing.reports.paging import bounded_keyset_page
from portal.paging import KeysetPage

AnyUser = User | AnonymousUser
PAGE_SIZE = 50
HISTORY_DAYS = 90
TX_EXPORT_BATCH = 2000


# --- scope ------------------------------------------------------------------


def team_ids(*, user: AnyUser) -> list[int] | None:
    """Return the ids of the user's sub-accounts, or None for "every team"."""
    if getattr(user, "sees_all_teams", False):
        return None
    return list(SubAccount.objects.visible_to(user).values_list("pk", flat=True))


def _cdrs(ids: list[int] | None) -> QuerySet[Cdr]:
    # A plain id list (not a join) keeps the per-team index usable for one team.
    return (
        Cdr.objects.all() if ids is None else Cdr.objects.filter(sub_account_id__in=ids)
    )


def _rollups(ids: list[int] | None) -> QuerySet[CdrDailyRollup]:
    rollups = CdrDailyRollup.objects.all()
    return rollups if ids is None else rollups.filter(sub_account_id__in=ids)


def report_sub_accounts(*, user: AnyUser) -> QuerySet[SubAccount]:
    """Return the sub-accounts the user may see, by name."""
    return SubAccount.objects.visible_to(user).order_by("name", "pk")


@dataclass(frozen=True)
class ReportScope:
    """What one user's CDR report may cover, read once per request."""

    teams: list[tuple[int, str]]
    trunks: list[tuple[str, str]]
    ids: list[int] | None  # None: every team, and the master account's own calls
    currency: str


def report_scope(*, user: AnyUser) -> ReportScope:
    """Return the user's teams (for the filter and the scope), trunks and currency."""
    from trunks.models import Trunk

    teams = list(
        report_sub_accounts(user=user).values_list(
            "pk", "name", "provider_account__currency"
        )
    )
    trunks = Trunk.objects.visible_to(user).order_by("name", "pk")
    currency = teams[0][2] if teams else account_currency()
    return ReportScope(
        teams=[(pk, name) for pk, name, _ in teams],
        trunks=list(trunks.values_list("remote_id", "name")),
        ids=None if getattr(user, "sees_all_teams", False) else [t[0] for t in teams],
        currency=currency,
    )


def account_currency() -> str:
    """Return the currency of the company's Vobiz account (INR until one exists)."""
    currency = ProviderAccount.objects.values_list("currency", flat=True).first()
    return currency or "INR"


# --- CDR report ---------------------------------------------------------------


@dataclass
class CdrReport:
    """Everything the CDR report page shows for one filter."""

    criteria: CdrCriteria
    currency: str
    figures: cdr_reports.Figures
    causes: list[tuple[str, int]]
    page: KeysetPage[Cdr]

    @property
    def source(self) -> str:
        return "rollups" if self.criteria.uses_rollups else "raw"

    @property
    def totals(self) -> cdr_reports.Totals:
        return self.figures.totals

    @property
    def daily(self) -> list[tuple[dt.date, cdr_reports.Totals]]:
        return self.figures.daily

    @property
    def team_cost(self) -> cdr_reports.TeamSeries:
        return self.figures.team_cost


def cdr_report(
    *, scope: ReportScope, criteria: CdrCriteria, cursor: str | None
) -> CdrReport:
    """Return the totals, charts and the first (or `cursor`) page of the report."""
    cdrs, rollups = _cdrs(scope.ids), _rollups(scope.ids)
    return CdrReport(
        criteria=criteria,
        currency=scope.currency,
        figures=cdr_reports.figures(cdrs=cdrs, rollups=rollups, criteria=criteria),
        causes=cdr_reports.hangup_causes(cdrs=cdrs, criteria=criteria),
        page=_cdr_page(cdrs, criteria, cursor),
    )


def cdr_page(
    *, scope: ReportScope, criteria: CdrCriteria, cursor: str | None
) -> KeysetPage[Cdr]:
    """Return one keyset page of raw CDRs matching the filter, newest first."""
    return _cdr_page(_cdrs(scope.ids), criteria, cursor)


def _cdr_page(
    cdrs: QuerySet[Cdr], criteria: CdrCriteria, cursor: str | None
) -> KeysetPage[Cdr]:
    queryset = cdrs.filter(criteria.cdr_q()).select_related("sub_account")
    return bounded_keyset_page(
        queryset, cursor=cursor, size=PAGE_SIZE, time_field="start_time"
    )


def cdr_get(*, user: AnyUser, cdr_id: int) -> Cdr:
    """Return one CDR the user may see, or raise 404."""
    return get_object_or_404(
        Cdr.objects.visible_to(user).select_related("sub_account"), pk=cdr_id
    )


def cdr_export(*, scope: ReportScope, criteria: CdrCriteria) -> Iterator[str]:
    """Yield the CSV lines of every CDR in the scope that matches the filter."""
    return cdr_reports.export_lines(
        cdrs=_cdrs(scope.ids), criteria=criteria, team_names=dict(scope.teams)
    )


def calls_this_week(*, user: AnyUser) -> cdr_reports.Totals:
    """Return the last 7 days' call totals of the user's teams (from the rollups)."""
    until = today_utc()
    criteria = CdrCriteria(since=until - dt.timedelta(days=6), until=until)
    ids = team_ids(user=user)
    return cdr_reports.report_totals(
        cdrs=_cdrs(ids), rollups=_rollups(ids), criteria=criteria
    )


# --- balance, consumption and runway -----------------------------------------


@dataclass(frozen=True)
class ConsumptionRate:
    """Average daily spend over the `days` full UTC days before today."""

    days: int
    total: Decimal
    method: str  # "ledger" or "rollups"

    @property
    def per_day(self) -> Decimal:
        return (self.total / self.days).quantize(Decimal("0.01"), ROUND_HALF_UP)


def consumption_rate(
    *, provider: ProviderAccount, days: int, today: dt.date | None = None
) -> ConsumptionRate:
    """Return the average daily spend of the last `days` full days.

    Spend is the ledger's debits (top-ups, refunds and other credits left out);
    when the ledger has no rows at all, it is the call cost from the rollups.
    """
    today = today or today_utc()
    since = today - dt.timedelta(days=days)
    ledger = Transaction.objects.filter(provider_account=provider)
    if ledger.exists():
        total = ledger.filter(
            type="debit",
            remote_created_at__gte=day_start(since),
            remote_created_at__lt=day_start(today),
        ).aggregate(total=Sum("amount"))["total"]
        # Vobiz sends debits as positive amounts; abs() also accepts signed ones.
        return ConsumptionRate(
            days=days, total=abs(total or Decimal(0)), method="ledger"
        )
    total = CdrDailyRollup.objects.filter(
        provider_account=provider, day__gte=since, day__lt=today
    ).aggregate(total=Sum("cost"))["total"]
    return ConsumptionRate(days=days, total=total or Decimal(0), method="rollups")


def runway_days(*, balance: Decimal, per_day: Decimal) -> Decimal | None:
    """Return how many days `balance` lasts at `per_day`; None when nothing is spent."""
    if per_day <= 0:
        return None
    if balance <= 0:
        return Decimal(0)
    return (balance / per_day).quantize(Decimal("0.1"), ROUND_HALF_UP)


@dataclass
class BalanceView:
    """One Vobiz account's balance page: latest snapshot, history, rates, runway."""

    provider: ProviderAccount
    snapshot: BalanceSnapshot | None
    history: list[BalanceSnapshot]
    rate_7: ConsumptionRate
    rate_30: ConsumptionRate

    @property
    def runway(self) -> Decimal | None:
        """Days the available balance lasts at the 7-day rate."""
        if self.snapshot is None:
            return None
        return runway_days(
            balance=self.snapshot.available_balance, per_day=self.rate_7.per_day
        )

    @property
    def runway_30(self) -> Decimal | None:
        if self.snapshot is None:
            return None
        return runway_days(
            balance=self.snapshot.available_balance, per_day=self.rate_30.per_day
        )

    @property
    def empty_on(self) -> dt.date | None:
        runway = self.runway
        if runway is None:
            return None
        return today_utc() + dt.timedelta(days=int(runway))

    @property
    def is_low(self) -> bool:
        snap = self.snapshot
        return bool(snap and snap.available_balance <= snap.low_balance_threshold)


def balance_history(
    *, provider: ProviderAccount, days: int = HISTORY_DAYS
) -> list[BalanceSnapshot]:
    """Return the last snapshot of each of the last `days` days, oldest first."""
    since = day_start(today_utc() - dt.timedelta(days=days - 1))
    snapshots = BalanceSnapshot.objects.filter(
        provider_account=provider, taken_at__gte=since
    )
    # Snapshots come every minute; one closing value per day is enough for a chart.
    closing = (
        snapshots.annotate(day=TruncDate("taken_at", tzinfo=dt.UTC))
        .values("day")
        .annotate(last=Max("taken_at"))
        .values("last")
    )
    return list(snapshots.filter(taken_at__in=closing).order_by("taken_at"))


def balance_overview(*, user: AnyUser) -> list[BalanceView]:
    """Return the balance page of every Vobiz account (admin and finance only)."""
    require_admin_or_finance(user)
    views = []
    for provider in ProviderAccount.objects.order_by("label"):
        snapshot = provider.balance_snapshots.order_by("-taken_at").first()
        views.append(
            BalanceView(
                provider=provider,
                snapshot=snapshot,
                history=balance_history(provider=provider),
                rate_7=consumption_rate(provider=provider, days=7),
                rate_30=consumption_rate(provider=provider, days=30),
            )
        )
    return views


def balance_summary(*, user: AnyUser) -> list[BalanceView]:
    """Return each account's latest balance and rates, without history (dashboard)."""
    require_admin_or_finance(user)
    return [
        BalanceView(
            provider=provider,
            snapshot=provider.balance_snapshots.order_by("-taken_at").first(),
            history=[],
            rate_7=consumption_rate(provider=provider, days=7),
            rate_30=consumption_rate(provider=provider, days=30),
        )
        for provider in ProviderAccount.objects.order_by("label")
    ]


# --- transactions ----------------------------------------------------------------


def transaction_list(
    *, user: AnyUser, filters: QueryDict | dict[str, Any] | None = None
) -> TransactionFilter:
    """Return the filter over the ledger (admin and finance only)."""
    require_admin_or_finance(user)
    return TransactionFilter(filters or None, queryset=Transaction.objects.all())


def transaction_page(
    *, filterset: TransactionFilter, cursor: str | None
) -> KeysetPage[Transaction]:
    """Return one keyset page of a filtered ledger, newest first."""
    return bounded_keyset_page(
        filterset.qs, cursor=cursor, size=PAGE_SIZE, time_field="remote_created_at"
    )


TX_FIELDS = (
    "remote_created_at",
    "remote_id",
    "type",
    "amount",
    "currency",
    "reference_type",
    "reference",
    "description",
    "status",
)


def _csv_safe(value: Any) -> Any:
    # Text from outside must not run as a spreadsheet formula when opened.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def transaction_export(*, filterset: TransactionFilter) -> Iterator[str]:
    """Yield the CSV of every ledger row of a filter, newest first, in batches."""
    writer = csv.writer(cdr_reports._Echo())
    yield writer.writerow(TX_FIELDS)
    cursor = None
    while True:
        page = transaction_page(filterset=filterset, cursor=cursor)
        lines = []
        for tx in page.items:
            values = [getattr(tx, name) for name in TX_FIELDS]
            values[0] = tx.remote_created_at.isoformat()
            lines.append(writer.writerow([_csv_safe(v) for v in values]))
        yield "".join(lines)
        if not page.older:
            return
        cursor = page.older


# --- spend and budgets --------------------------------------------------------------


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
    ids = team_ids(user=user)
    rows = (
        _rollups(ids)
        .filter(day__gte=months[0], day__lt=next_month(last))
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
