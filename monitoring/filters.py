"""Filter sets for the API request log, alerts and the delivery log."""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import SubAccount
from monitoring.choices import (
    AlertState,
    DeliveryEvent,
    DeliveryStatus,
    Outcome,
    RuleKind,
)
from monitoring.models import Alert, Delivery, NotificationChannel
from sync.models import ApiCall

STATUS_CLASSES = (
    ("2xx", "2xx success"),
    ("3xx", "3xx redirect"),
    ("4xx", "4xx client error"),
    ("5xx", "5xx server error"),
    ("none", "No response"),
)
# How far back the endpoint list of the request log looks for templates.
ENDPOINT_CHOICE_DAYS = 7


def _day_start(day: dt.date) -> dt.datetime:
    """Return midnight of a date in the portal's time zone, timezone-aware."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


class DateRangeMixin(django_filters.FilterSet):  # type: ignore[misc]
    """From/To date fields that filter a timestamp column as a range.

    A range on the column itself keeps its index usable (a `__date` lookup would
    wrap the column in a function).
    """

    time_field = "created_at"

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

    def filter_since(self, queryset: QuerySet, name: str, value: dt.date) -> QuerySet:  # type: ignore[type-arg]
        return queryset.filter(**{f"{self.time_field}__gte": _day_start(value)})

    def filter_until(self, queryset: QuerySet, name: str, value: dt.date) -> QuerySet:  # type: ignore[type-arg]
        end = _day_start(value + dt.timedelta(days=1))
        return queryset.filter(**{f"{self.time_field}__lt": end})


class ApiCallFilter(DateRangeMixin):
    """Filter API calls by outcome, endpoint, status class, sub-account and dates."""

    outcome = django_filters.ChoiceFilter(
        choices=Outcome.choices, label="Outcome", empty_label="Any outcome"
    )
    endpoint = django_filters.ChoiceFilter(
        field_name="path_template",
        choices=(),
        label="Endpoint",
        empty_label="Any endpoint",
    )
    status_class = django_filters.ChoiceFilter(
        choices=STATUS_CLASSES,
        method="filter_status_class",
        label="Status",
        empty_label="Any status",
    )
    sub_account = django_filters.ModelChoiceFilter(
        queryset=SubAccount.objects.order_by("name"),
        label="Sub-account",
        empty_label="Any sub-account",
    )

    class Meta:
        model = ApiCall
        fields = [
            "outcome",
            "endpoint",
            "status_class",
            "sub_account",
            "since",
            "until",
        ]

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        since = timezone.now() - dt.timedelta(days=ENDPOINT_CHOICE_DAYS)
        templates = (
            ApiCall.objects.filter(created_at__gte=since)
            .order_by("path_template")
            .values_list("path_template", flat=True)
            .distinct()
        )
        self.filters["endpoint"].extra["choices"] = [(t, t) for t in templates]

    def filter_status_class(
        self, queryset: QuerySet[ApiCall], name: str, value: str
    ) -> QuerySet[ApiCall]:
        if value == "none":
            return queryset.filter(status__isnull=True)
        low = int(value[0]) * 100
        return queryset.filter(status__gte=low, status__lt=low + 100)


class AlertFilter(DateRangeMixin):
    """Filter alerts by state, kind, severity and sub-account."""

    time_field = "fired_at"

    state = django_filters.ChoiceFilter(
        choices=AlertState.choices, label="State", empty_label="Any state"
    )
    kind = django_filters.ChoiceFilter(
        choices=RuleKind.choices, label="Kind", empty_label="Any kind"
    )
    sub_account = django_filters.ModelChoiceFilter(
        queryset=SubAccount.objects.order_by("name"),
        label="Sub-account",
        empty_label="Any sub-account",
    )

    class Meta:
        model = Alert
        fields = ["state", "kind", "sub_account", "since", "until"]


class DeliveryFilter(DateRangeMixin):
    """Filter deliveries by status, event and channel."""

    status = django_filters.ChoiceFilter(
        choices=DeliveryStatus.choices, label="Status", empty_label="Any status"
    )
    event = django_filters.ChoiceFilter(
        choices=DeliveryEvent.choices, label="Event", empty_label="Any event"
    )
    channel = django_filters.ModelChoiceFilter(
        queryset=NotificationChannel.objects.order_by("name"),
        label="Channel",
        empty_label="Any channel",
    )

    class Meta:
        model = Delivery
        fields = ["status", "event", "channel", "since", "until"]
