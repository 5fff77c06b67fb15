"""Filters over the billing tables.

`CdrCriteria` is the validated CDR report filter (built by `CdrReportForm`); it
knows whether the daily rollups can answer it and turns itself into query
conditions for the raw rows and for the rollups. `TransactionFilter` is the
ledger's filter set.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet

from billing.models import Transaction

DIRECTIONS = (("inbound", "Inbound"), ("outbound", "Outbound"))


def day_start(day: dt.date) -> dt.datetime:
    """Return midnight UTC of a day: rollups and report ranges use UTC days."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


@dataclass(frozen=True)
class CdrCriteria:
    """A validated CDR report filter. Dates are inclusive UTC days."""

    since: dt.date
    until: dt.date
    sub_account_id: int | None = None
    direction: str = ""
    from_number: str = ""
    to_number: str = ""
    hangup_cause: str = ""
    min_duration: int | None = None
    trunk: str = ""
    # Read the raw rows even when the rollups could answer (checks and audits).
    raw: bool = False

    @property
    def uses_rollups(self) -> bool:
        """Say whether the daily rollups hold everything this filter asks about."""
        return not (
            self.raw
            or self.from_number
            or self.to_number
            or self.hangup_cause
            or self.min_duration
            or self.trunk
        )

    @property
    def days(self) -> list[dt.date]:
        """List every day of the range, oldest first."""
        count = (self.until - self.since).days + 1
        return [self.since + dt.timedelta(days=n) for n in range(count)]

    def cdr_q(self) -> Q:
        """Return the conditions on raw CDR rows, always bounded by the date range."""
        q = Q(start_time__gte=day_start(self.since)) & Q(
            start_time__lt=day_start(self.until + dt.timedelta(days=1))
        )
        exact = {
            "sub_account_id": self.sub_account_id,
            "direction": self.direction,
            "hangup_cause": self.hangup_cause,
            "trunk_remote_id": self.trunk,
        }
        q &= Q(**{k: v for k, v in exact.items() if v})
        if self.from_number:
            q &= Q(from_number__contains=self.from_number)
        if self.to_number:
            q &= Q(to_number__contains=self.to_number)
        if self.min_duration:
            q &= Q(duration__gte=self.min_duration)
        return q

    def rollup_q(self) -> Q:
        """Return the conditions on daily rollups (only valid when `uses_rollups`)."""
        q = Q(day__gte=self.since, day__lte=self.until)
        if self.sub_account_id:
            q &= Q(sub_account_id=self.sub_account_id)
        if self.direction:
            q &= Q(direction=self.direction)
        return q

    def as_dict(self) -> dict[str, Any]:
        """Return the filter as JSON-safe values for the audit log, without empties."""
        data: dict[str, Any] = {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
        }
        for name in (
            "sub_account_id",
            "direction",
            "from_number",
            "to_number",
            "hangup_cause",
            "min_duration",
            "trunk",
        ):
            value = getattr(self, name)
            if value not in (None, ""):
                data[name] = value
        return data


class TransactionFilter(django_filters.FilterSet):  # type: ignore[misc]
    """Filter the ledger by type, reference type, date range and free text."""

    q = django_filters.CharFilter(
        method="search", label="Search", max_length=100, strip=True
    )
    type = django_filters.ChoiceFilter(
        choices=(("debit", "Debit"), ("credit", "Credit")),
        label="Type",
        empty_label="Any type",
    )
    reference_type = django_filters.ChoiceFilter(
        choices=(
            ("cdr", "Calls"),
            ("did_rental", "Number rental"),
            ("payment", "Payment"),
            ("refund", "Refund"),
            ("manual_adjustment", "Manual adjustment"),
        ),
        label="Reference",
        empty_label="Any reference",
    )
    since = django_filters.DateFilter(
        method="filter_since",
        label="From",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = django_filters.DateFilter(
        method="filter_until",
        label="To",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = Transaction
        fields = ["q", "type", "reference_type", "since", "until"]

    def search(
        self, queryset: QuerySet[Transaction], name: str, value: str
    ) -> QuerySet[Transaction]:
        return queryset.filter(
            Q(description__icontains=value)
            | Q(reference__icontains=value)
            | Q(remote_id__icontains=value)
        )

    # Ranges on the timestamp itself (not `__date`) so the index can be used.
    def filter_since(
        self, queryset: QuerySet[Transaction], name: str, value: dt.date
    ) -> QuerySet[Transaction]:
        return queryset.filter(remote_created_at__gte=day_start(value))

    def filter_until(
        self, queryset: QuerySet[Transaction], name: str, value: dt.date
    ) -> QuerySet[Transaction]:
        return queryset.filter(
            remote_created_at__lt=day_start(value + dt.timedelta(days=1))
        )
