"""Reads for the balance page: snapshots, consumption rate and runway."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth.models import AnonymousUser
from django.db.models import Max, Q, Sum
from django.db.models.functions import TruncDate

from accounts.models import User, require_admin_or_finance
from billing.filters import day_start
from billing.models import (
    BalanceSnapshot,
    CdrDailyRollup,
    Transaction,
)
from core.dates import today_utc
from sync.models import ProviderAccount

AnyUser = User | AnonymousUser
HISTORY_DAYS = 90


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
    return consumption_rates(provider=provider, windows=(days,), today=today)[days]


def consumption_rates(
    *, provider: ProviderAccount, windows: tuple[int, ...], today: dt.date | None = None
) -> dict[int, ConsumptionRate]:
    """Return `consumption_rate` for several windows at once (two queries)."""
    today = today or today_utc()
    ledger = Transaction.objects.filter(provider_account=provider)
    if ledger.exists():
        sums = ledger.filter(type="debit", remote_created_at__lt=day_start(today))
        totals = sums.aggregate(
            **{
                f"d{days}": Sum(
                    "amount",
                    filter=Q(
                        remote_created_at__gte=day_start(
                            today - dt.timedelta(days=days)
                        )
                    ),
                )
                for days in windows
            }
        )
        method = "ledger"
    else:
        rollups = CdrDailyRollup.objects.filter(
            provider_account=provider, day__lt=today
        )
        totals = rollups.aggregate(
            **{
                f"d{days}": Sum(
                    "cost", filter=Q(day__gte=today - dt.timedelta(days=days))
                )
                for days in windows
            }
        )
        method = "rollups"
    # Vobiz sends debits as positive amounts; abs() also accepts signed ones.
    return {
        days: ConsumptionRate(
            days=days, total=abs(totals[f"d{days}"] or Decimal(0)), method=method
        )
        for days in windows
    }


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
        return bool(
            snap
            and balance_is_low(
                available=snap.available_balance,
                threshold=snap.low_balance_threshold,
            )
        )


def balance_is_low(*, available: Decimal, threshold: Decimal | None) -> bool:
    """Say whether a balance is low: below a threshold that is set (above zero).

    The one definition: the balance page and the low-balance alert both ask it.
    A zero or missing threshold means none is configured.
    """
    return threshold is not None and threshold > 0 and available < threshold


def _rates(provider: ProviderAccount) -> dict[str, ConsumptionRate]:
    rates = consumption_rates(provider=provider, windows=(7, 30))
    return {"rate_7": rates[7], "rate_30": rates[30]}


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
                **_rates(provider),
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
            **_rates(provider),
        )
        for provider in ProviderAccount.objects.order_by("label")
    ]
