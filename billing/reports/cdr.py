"""CDR report figures: totals, per-day series, cost per team, hangup causes, CSV.

Every function takes an already scoped CDR queryset or rollup queryset (the
selectors scope them) plus the validated `CdrCriteria`. Totals and series come
from the daily rollups whenever the filter allows it (date range, sub-account,
direction) and from the raw rows otherwise, always bounded by the date range.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import BigIntegerField, CharField, Count, Func, Q, QuerySet, Sum
from django.db.models.functions import Cast, TruncDate

from billing.filters import CdrCriteria
from billing.models import Cdr, CdrCauseRollup, CdrDailyRollup

ANSWERED = Q(billsec__gt=0) | Q(answer_time__isnull=False)
TOP_TEAMS = 8
TOP_CAUSES = 10
EXPORT_BATCH = 5000
EXPORT_HEADER = (
    "uuid",
    "start_time",
    "answer_time",
    "end_time",
    "sub_account",
    "account_id",
    "direction",
    "from_number",
    "to_number",
    "duration",
    "billsec",
    "ring_time",
    "hangup_cause",
    "hangup_cause_code",
    "hangup_source",
    "cost",
    "currency",
    "trunk_id",
    "mos",
)
# values_list order for the export; sub_account_id is swapped for the team name.
EXPORT_FIELDS = (
    "uuid",
    "start_time",
    "answer_time",
    "end_time",
    "sub_account_id",
    "account_auth_id",
    "direction",
    "from_number",
    "to_number",
    "duration",
    "billsec",
    "ring_time",
    "hangup_cause",
    "hangup_cause_code",
    "hangup_source",
    "cost",
    "currency",
    "trunk_remote_id",
    "mos",
)


@dataclass
class Totals:
    """Summed call figures, with the rates the report shows derived from them."""

    calls: int = 0
    answered: int = 0
    billable_seconds: int = 0
    duration_seconds: int = 0
    cost: Decimal = field(default_factory=Decimal)
    ring_time_sum: int = 0

    @property
    def asr(self) -> Decimal | None:
        """Answer-seizure ratio in percent (answered / calls)."""
        if not self.calls:
            return None
        return (Decimal(self.answered) * 100 / self.calls).quantize(Decimal("0.1"))

    @property
    def acd(self) -> int | None:
        """Average call duration of answered calls, in billable seconds."""
        return round(self.billable_seconds / self.answered) if self.answered else None

    @property
    def billable_minutes(self) -> Decimal:
        return (Decimal(self.billable_seconds) / 60).quantize(Decimal("0.1"))

    @property
    def avg_pdd(self) -> Decimal | None:
        """Average post-dial delay, from the ring time of every call, in seconds."""
        if not self.calls:
            return None
        return (Decimal(self.ring_time_sum) / self.calls).quantize(Decimal("0.1"))


ROLLUP_SUMS = {
    "calls_n": Sum("calls"),
    "answered_n": Sum("answered"),
    "bill": Sum("billable_seconds"),
    "dur": Sum("duration_seconds"),
    "money": Sum("cost"),
    "ring": Sum("ring_time_sum"),
}
RAW_SUMS = {
    "calls_n": Count("id"),
    "answered_n": Count("id", filter=ANSWERED),
    "bill": Sum("billsec"),
    "dur": Sum("duration"),
    "money": Sum("cost"),
    "ring": Sum("ring_time"),
}


def _totals_of(row: dict[str, Any]) -> Totals:
    return Totals(
        calls=row["calls_n"] or 0,
        answered=row["answered_n"] or 0,
        billable_seconds=row["bill"] or 0,
        duration_seconds=row["dur"] or 0,
        cost=Decimal(row["money"] or 0),
        ring_time_sum=row["ring"] or 0,
    )


@dataclass
class TeamSeries:
    """Cost per team per day: the biggest teams by cost, the rest as "Other"."""

    teams: list[str]
    rows: list[tuple[dt.date, list[Decimal]]]

    @property
    def team_totals(self) -> list[Decimal]:
        return [
            sum((r[1][i] for r in self.rows), Decimal(0))
            for i in range(len(self.teams))
        ]


@dataclass
class Figures:
    """Totals of a filter, per day, and cost per team per day: one query's worth."""

    totals: Totals
    daily: list[tuple[dt.date, Totals]]
    team_cost: TeamSeries


def _add(into: Totals, more: Totals) -> None:
    into.calls += more.calls
    into.answered += more.answered
    into.billable_seconds += more.billable_seconds
    into.duration_seconds += more.duration_seconds
    into.cost += more.cost
    into.ring_time_sum += more.ring_time_sum


def figures(
    *, cdrs: QuerySet[Cdr], rollups: QuerySet[CdrDailyRollup], criteria: CdrCriteria
) -> Figures:
    """Return totals, daily totals and team cost of the filter from one query.

    Grouped by (day, team) from the rollups when they can answer the filter, else
    from the raw rows of the date range; the rest is summed up here.
    """
    rows: QuerySet[Any, dict[str, Any]]
    if criteria.uses_rollups:
        rows = (
            rollups.filter(criteria.rollup_q())
            .values("day", "sub_account__name")
            .annotate(**ROLLUP_SUMS)
            .order_by()
        )
    else:
        rows = (
            cdrs.filter(criteria.cdr_q())
            .annotate(day=TruncDate("start_time", tzinfo=dt.UTC))
            .values("day", "sub_account__name")
            .annotate(**RAW_SUMS)
            .order_by()
        )
    total = Totals()
    by_day: dict[dt.date, Totals] = defaultdict(Totals)
    cost: dict[str, dict[dt.date, Decimal]] = defaultdict(dict)
    for row in rows:
        part = _totals_of(row)
        _add(total, part)
        _add(by_day[row["day"]], part)
        name = row["sub_account__name"] or "Master account"
        cost[name][row["day"]] = cost[name].get(row["day"], Decimal(0)) + part.cost
    daily = [(day, by_day.get(day) or Totals()) for day in criteria.days]
    return Figures(
        totals=total, daily=daily, team_cost=_team_series(cost, criteria.days)
    )


def report_totals(
    *, cdrs: QuerySet[Cdr], rollups: QuerySet[CdrDailyRollup], criteria: CdrCriteria
) -> Totals:
    """Return only the totals of the filter, from rollups when they can answer it."""
    if criteria.uses_rollups:
        row = rollups.filter(criteria.rollup_q()).aggregate(**ROLLUP_SUMS)
    else:
        row = cdrs.filter(criteria.cdr_q()).aggregate(**RAW_SUMS)
    return _totals_of(row)


def _team_series(
    cost: dict[str, dict[dt.date, Decimal]], days: list[dt.date]
) -> TeamSeries:
    ranked = sorted(cost, key=lambda n: (-sum(cost[n].values()), n))
    teams, rest = ranked[:TOP_TEAMS], ranked[TOP_TEAMS:]
    labels = [*teams, "Other"] if rest else teams
    table = []
    for day in days:
        values = [cost[name].get(day, Decimal(0)) for name in teams]
        if rest:
            values.append(sum((cost[n].get(day, Decimal(0)) for n in rest), Decimal(0)))
        table.append((day, values))
    return TeamSeries(teams=labels, rows=table)


def hangup_causes(
    *,
    cdrs: QuerySet[Cdr],
    causes: QuerySet[CdrCauseRollup],
    criteria: CdrCriteria,
) -> list[tuple[str, int]]:
    """Return (cause, calls) for the most frequent causes, the rest as "Other".

    From the daily cause rollups when they can answer the filter (a few hundred
    rows for any range); else from the raw rows of the range.
    """
    rows: QuerySet[Any, dict[str, Any]]
    if criteria.uses_rollups:
        rows = (
            causes.filter(criteria.rollup_q())
            .values("hangup_cause")
            .annotate(n=Sum("calls"))
            .order_by("-n", "hangup_cause")
        )
    else:
        rows = (
            cdrs.filter(criteria.cdr_q())
            .values("hangup_cause")
            # COUNT(*) needs no column outside the covering index: index-only scan.
            .annotate(n=Count("*"))
            .order_by("-n", "hangup_cause")
        )
    counted = [(r["hangup_cause"] or "(none)", r["n"]) for r in rows]
    top, rest = counted[:TOP_CAUSES], counted[TOP_CAUSES:]
    if rest:
        top.append(("Other", sum(n for _, n in rest)))
    return top


class _Echo:
    """A file-like object whose write returns the text, for csv.writer."""

    def write(self, value: str) -> str:
        return value


class IsoUtc(Func):
    """A timestamp as ISO 8601 UTC text, rendered by PostgreSQL (no parsing here)."""

    output_field = CharField()
    template = (
        "to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
    )


class EpochMicros(Func):
    """A timestamp as exact integer microseconds since 1970 (PostgreSQL)."""

    output_field = BigIntegerField()
    template = "(EXTRACT(EPOCH FROM %(expressions)s) * 1000000)::bigint"


EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
ISO_UTC = "%Y-%m-%dT%H:%M:%SZ"  # what IsoUtc prints, for other databases
TIME_FIELDS = ("start_time", "answer_time", "end_time")


def _export_values(base: QuerySet[Cdr]) -> tuple[QuerySet[Any, Any], bool]:
    """Return the batch query's values and whether the database formats times.

    Parsing three timestamps per row into datetimes only to print them again was
    most of the export's time; PostgreSQL prints them itself, and an exact
    integer key stands in for `start_time` in the keyset.
    """
    if connection.vendor != "postgresql":
        return base.values_list(*EXPORT_FIELDS, "id", "start_time"), False
    text = {f"x_{name}": IsoUtc(name) for name in TIME_FIELDS}
    names = [f"x_{f}" if f in TIME_FIELDS else f for f in EXPORT_FIELDS]
    names[0] = "x_uuid"
    values = base.annotate(
        **text, x_uuid=Cast("uuid", CharField()), x_key=EpochMicros("start_time")
    ).values_list(*names, "id", "x_key")
    return values, True


def export_lines(
    *, cdrs: QuerySet[Cdr], criteria: CdrCriteria, team_names: dict[int, str]
) -> Iterator[str]:
    """Yield the CSV of every matching CDR, oldest first, a batch at a time.

    A keyset loop on (start_time, id): each batch is one short indexed query, so
    memory stays flat and no cursor or transaction is held open while the
    client downloads.
    """
    writer = csv.writer(_Echo())
    yield writer.writerow(EXPORT_HEADER)
    base = cdrs.filter(criteria.cdr_q()).order_by("start_time", "id")
    team_at = EXPORT_FIELDS.index("sub_account_id")
    times = [EXPORT_FIELDS.index(f) for f in TIME_FIELDS]
    last: tuple[dt.datetime, int] | None = None
    while True:
        batch = base
        if last is not None:
            when, pk = last
            batch = base.filter(start_time__gte=when).filter(
                Q(start_time__gt=when) | Q(id__gt=pk)
            )
        values, formatted = _export_values(batch)
        rows = list(values[:EXPORT_BATCH])
        if not rows:
            return
        lines = []
        for row in rows:
            out = list(row[:-2])
            out[team_at] = team_names.get(out[team_at], "")
            if not formatted:
                for at in times:
                    if out[at] is not None:
                        out[at] = out[at].astimezone(dt.UTC).strftime(ISO_UTC)
            lines.append(writer.writerow(out))
        yield "".join(lines)
        key = rows[-1][-1]
        if formatted:
            key = EPOCH + dt.timedelta(microseconds=key)
        last = (key, rows[-1][-2])
