"""Reads for the CDR report, its raw list, the CSV export and a call's detail."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import (
    User,
)
from billing.filters import CdrCriteria
from billing.models import (
    Cdr,
)
from billing.reports import cdr as cdr_reports
from billing.reports.paging import bounded_keyset_page
from billing.selectors.scope import (
    ReportScope,
    scoped_cause_rollups,
    scoped_cdrs,
    scoped_rollups,
    team_ids,
)
from core.dates import today_utc
from core.paging import KeysetPage

AnyUser = User | AnonymousUser
PAGE_SIZE = 50


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
    cdrs, rollups = scoped_cdrs(scope.ids), scoped_rollups(scope.ids)
    return CdrReport(
        criteria=criteria,
        currency=scope.currency,
        figures=cdr_reports.figures(cdrs=cdrs, rollups=rollups, criteria=criteria),
        causes=cdr_reports.hangup_causes(
            cdrs=cdrs, causes=scoped_cause_rollups(scope.ids), criteria=criteria
        ),
        page=_cdr_page(cdrs, criteria, cursor),
    )


def cdr_page(
    *, scope: ReportScope, criteria: CdrCriteria, cursor: str | None
) -> KeysetPage[Cdr]:
    """Return one keyset page of raw CDRs matching the filter, newest first."""
    return _cdr_page(scoped_cdrs(scope.ids), criteria, cursor)


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
        cdrs=scoped_cdrs(scope.ids), criteria=criteria, team_names=dict(scope.teams)
    )


def calls_this_week(*, user: AnyUser) -> cdr_reports.Totals:
    """Return the last 7 days' call totals of the user's teams (from the rollups)."""
    until = today_utc()
    criteria = CdrCriteria(since=until - dt.timedelta(days=6), until=until)
    ids = team_ids(user=user)
    return cdr_reports.report_totals(
        cdrs=scoped_cdrs(ids), rollups=scoped_rollups(ids), criteria=criteria
    )
