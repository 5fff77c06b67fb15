"""Filter sets for the accounts lists."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q, QuerySet

from accounts.choices import GlobalRole, SubAccountKind
from accounts.models import AuditEvent, SubAccount, User

ENABLED_CHOICES = (("yes", "Enabled"), ("no", "Disabled"))
ACTIVE_CHOICES = (("yes", "Active"), ("no", "Deactivated"))


class SubAccountFilter(django_filters.FilterSet):  # type: ignore[misc]
    """Search sub-accounts by name, description or auth id; filter kind and state."""

    q = django_filters.CharFilter(
        method="search", label="Search", max_length=100, strip=True
    )
    kind = django_filters.ChoiceFilter(
        choices=SubAccountKind.choices, label="Kind", empty_label="Any kind"
    )
    state = django_filters.ChoiceFilter(
        choices=ENABLED_CHOICES, method="filter_state", label="State", empty_label="Any"
    )

    class Meta:
        model = SubAccount
        fields = ["q", "kind", "state"]

    def search(
        self, queryset: QuerySet[SubAccount], name: str, value: str
    ) -> QuerySet[SubAccount]:
        return queryset.filter(
            Q(name__icontains=value)
            | Q(description__icontains=value)
            | Q(auth_id__icontains=value)
        )

    def filter_state(
        self, queryset: QuerySet[SubAccount], name: str, value: str
    ) -> QuerySet[SubAccount]:
        return queryset.filter(enabled=(value == "yes"))


class UserFilter(django_filters.FilterSet):  # type: ignore[misc]
    """Search users by name or e-mail; filter role and active state."""

    q = django_filters.CharFilter(
        method="search", label="Search", max_length=100, strip=True
    )
    role = django_filters.ChoiceFilter(
        choices=[("member", "Member"), *GlobalRole.choices[1:]],
        method="filter_role",
        label="Role",
        empty_label="Any role",
    )
    state = django_filters.ChoiceFilter(
        choices=ACTIVE_CHOICES, method="filter_state", label="State", empty_label="Any"
    )

    class Meta:
        model = User
        fields = ["q", "role", "state"]

    def search(self, queryset: QuerySet[User], name: str, value: str) -> QuerySet[User]:
        return queryset.filter(
            Q(full_name__icontains=value) | Q(email__icontains=value)
        )

    def filter_role(
        self, queryset: QuerySet[User], name: str, value: str
    ) -> QuerySet[User]:
        return queryset.filter(role="" if value == "member" else value)

    def filter_state(
        self, queryset: QuerySet[User], name: str, value: str
    ) -> QuerySet[User]:
        return queryset.filter(is_active=(value == "yes"))


class AuditEventFilter(django_filters.FilterSet):  # type: ignore[misc]
    """Filter audit events by actor, action, sub-account and date range."""

    actor = django_filters.ModelChoiceFilter(
        queryset=User.objects.order_by("email"), label="Actor", empty_label="Anyone"
    )
    action = django_filters.ChoiceFilter(
        choices=(), label="Action", method="filter_action", empty_label="Any action"
    )
    sub_account = django_filters.ModelChoiceFilter(
        queryset=SubAccount.objects.order_by("name"),
        label="Sub-account",
        empty_label="Any sub-account",
    )
    since = django_filters.DateFilter(
        field_name="created_at",
        lookup_expr="date__gte",
        label="From",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = django_filters.DateFilter(
        field_name="created_at",
        lookup_expr="date__lte",
        label="To",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = AuditEvent
        fields = ["actor", "action", "sub_account", "since", "until"]

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        actions = (
            AuditEvent.objects.order_by("action")
            .values_list("action", flat=True)
            .distinct()
        )
        self.filters["action"].extra["choices"] = [(a, a) for a in actions]

    def filter_action(
        self, queryset: QuerySet[AuditEvent], name: str, value: str
    ) -> QuerySet[AuditEvent]:
        return queryset.filter(action=value)
