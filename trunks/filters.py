"""The trunk list's filters: search, sub-account, state, auth type, direction."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet

from accounts.models import SubAccount
from trunks.choices import AuthType, TrunkDirection, TrunkStatus
from trunks.models import Trunk

STATE_CHOICES = (
    ("active", "Active"),
    ("inactive", "Inactive"),
    ("disabled", "Disabled"),
    ("removed", "Deleted"),
)


class TrunkFilter(django_filters.FilterSet):  # type: ignore[misc]
    """Filter trunks; deleted ones show only when asked for."""

    q = django_filters.CharFilter(
        method="search", label="Search", max_length=100, strip=True
    )
    sub_account = django_filters.ModelChoiceFilter(
        queryset=SubAccount.objects.none(),
        label="Sub-account",
        empty_label="All sub-accounts",
    )
    state = django_filters.ChoiceFilter(
        choices=STATE_CHOICES, method="filter_state", label="State", empty_label="Any"
    )
    auth = django_filters.ChoiceFilter(
        choices=AuthType.choices,
        method="filter_auth",
        label="Authentication",
        empty_label="Any",
    )
    direction = django_filters.ChoiceFilter(
        choices=TrunkDirection.choices, label="Direction", empty_label="Any"
    )

    class Meta:
        model = Trunk
        fields = ["q", "sub_account", "state", "auth", "direction"]

    def __init__(self, *args: Any, sub_accounts: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if sub_accounts is not None:
            self.filters["sub_account"].queryset = sub_accounts
            self.form.fields["sub_account"].queryset = sub_accounts

    @property
    def qs(self) -> QuerySet[Trunk]:
        queryset: QuerySet[Trunk] = super().qs
        cleaned = getattr(self.form, "cleaned_data", {}) if self.is_bound else {}
        if cleaned.get("state") != "removed":
            queryset = queryset.filter(removed_at__isnull=True)
        return queryset

    def search(
        self, queryset: QuerySet[Trunk], name: str, value: str
    ) -> QuerySet[Trunk]:
        return queryset.filter(
            Q(name__icontains=value)
            | Q(domain__icontains=value)
            | Q(remote_id__icontains=value)
            | Q(credential__username__icontains=value)
        )

    def filter_state(
        self, queryset: QuerySet[Trunk], name: str, value: str
    ) -> QuerySet[Trunk]:
        if value == "removed":
            return queryset.filter(removed_at__isnull=False)
        if value == "disabled":
            return queryset.filter(enabled=False)
        status = TrunkStatus.ACTIVE if value == "active" else TrunkStatus.INACTIVE
        return queryset.filter(enabled=True, status=status)

    def filter_auth(
        self, queryset: QuerySet[Trunk], name: str, value: str
    ) -> QuerySet[Trunk]:
        # Annotations of selectors.trunk_queryset, unknown to the type checker.
        wanted = {
            AuthType.BOTH: (True, True),
            AuthType.PASSWORD: (False, True),
            AuthType.IP: (True, False),
        }[AuthType(value)]
        return queryset.filter(**{"has_ip": wanted[0], "has_password": wanted[1]})
