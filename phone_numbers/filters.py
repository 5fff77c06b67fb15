"""Filter sets for the number inventory and the number requests."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet

from accounts.models import SubAccount
from phone_numbers.choices import NumberSeries, RequestStatus, series_digits
from phone_numbers.models import NumberRequest, NumberStatus, PhoneNumber
from trunks.models import Trunk

COUNTRY_CHOICES = [("IN", "India"), ("US", "United States"), ("GB", "United Kingdom")]


class PhoneNumberFilter(django_filters.FilterSet):  # type: ignore[misc]
    """Search owned numbers; filter sub-account, series, country, status and trunk."""

    q = django_filters.CharFilter(
        method="search", label="Search", max_length=20, strip=True
    )
    # Choices are the sub-accounts the user may see, read once by the selector.
    sub_account = django_filters.ChoiceFilter(
        field_name="sub_account_id",
        choices=(),
        label="Sub-account",
        empty_label="Any sub-account",
    )
    series = django_filters.ChoiceFilter(
        choices=[(value, value.capitalize()) for value in NumberSeries.values],
        method="filter_series",
        label="Series",
        empty_label="Any series",
    )
    country = django_filters.ChoiceFilter(
        choices=COUNTRY_CHOICES, label="Country", empty_label="Any country"
    )
    status = django_filters.ChoiceFilter(
        choices=NumberStatus.choices, label="Status", empty_label="Any status"
    )
    trunk = django_filters.ModelChoiceFilter(
        queryset=Trunk.objects.none(), label="Trunk", empty_label="Any trunk"
    )

    class Meta:
        model = PhoneNumber
        fields = ["q", "sub_account", "series", "country", "status", "trunk"]

    def __init__(
        self,
        *args: Any,
        sub_accounts: list[tuple[int, str]],
        trunks: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.filters["sub_account"].extra["choices"] = [
            (str(pk), name) for pk, name in sub_accounts
        ]
        self.filters["trunk"].queryset = trunks

    def search(
        self, queryset: QuerySet[PhoneNumber], name: str, value: str
    ) -> QuerySet[PhoneNumber]:
        # People type numbers with spaces and dashes, as they are shown.
        digits = "".join(ch for ch in value if ch.isdigit())
        if not digits:
            return queryset.filter(region__icontains=value)
        return queryset.filter(Q(e164__contains=digits) | Q(region__icontains=value))

    def filter_series(
        self, queryset: QuerySet[PhoneNumber], name: str, value: str
    ) -> QuerySet[PhoneNumber]:
        return queryset.filter(e164__startswith=f"+91{series_digits(value)}")


class NumberRequestFilter(django_filters.FilterSet):  # type: ignore[misc]
    """Filter number requests by status and sub-account."""

    status = django_filters.ChoiceFilter(
        choices=RequestStatus.choices, label="Status", empty_label="Any status"
    )
    sub_account = django_filters.ModelChoiceFilter(
        queryset=SubAccount.objects.none(),
        label="Sub-account",
        empty_label="Any sub-account",
    )

    class Meta:
        model = NumberRequest
        fields = ["status", "sub_account"]

    def __init__(self, *args: Any, sub_accounts: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.filters["sub_account"].queryset = sub_accounts
