"""Reads for users, sub-accounts, memberships and the audit log, always scoped."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Q, QuerySet
from django.http import QueryDict
from django.shortcuts import get_object_or_404

from accounts.filters import AuditEventFilter, SubAccountFilter, UserFilter
from accounts.models import (
    AuditEvent,
    Membership,
    SubAccount,
    User,
    require_admin,
    require_admin_or_finance,
)
from sync.models import ProviderAccount

AnyUser = User | AnonymousUser


def subaccount_list(
    *, user: AnyUser, filters: QueryDict | dict[str, Any] | None = None
) -> SubAccountFilter:
    """Return the filter over the sub-accounts the user may see, with member counts."""
    queryset = (
        SubAccount.objects.visible_to(user)
        .select_related("provider_account")
        .annotate(
            member_count=Count("memberships", distinct=True),
            lead_count=Count(
                "memberships", filter=Q(memberships__role="lead"), distinct=True
            ),
        )
        .order_by("name", "pk")
    )
    return SubAccountFilter(filters or None, queryset=queryset)


def subaccount_get(*, user: AnyUser, sub_account_id: int) -> SubAccount:
    """Return one sub-account the user may see, or raise 404."""
    return get_object_or_404(
        SubAccount.objects.visible_to(user).select_related("provider_account"),
        pk=sub_account_id,
    )


def subaccount_members(
    *, user: AnyUser, sub_account: SubAccount
) -> QuerySet[Membership]:
    """Return the memberships of a sub-account the user may see."""
    return (
        Membership.objects.visible_to(user)
        .filter(sub_account=sub_account)
        .select_related("user")
        .order_by("role", "user__full_name")
    )


def provider_account_list(*, user: AnyUser) -> QuerySet[ProviderAccount]:
    """Return the provider accounts (admin and finance only)."""
    require_admin_or_finance(user)
    return ProviderAccount.objects.all()


def user_list(
    *, user: AnyUser, filters: QueryDict | dict[str, Any] | None = None
) -> UserFilter:
    """Return the filter over all users with their membership counts (admin only)."""
    require_admin(user)
    queryset = User.objects.annotate(
        membership_count=Count("memberships", distinct=True)
    ).order_by("full_name", "pk")
    return UserFilter(filters or None, queryset=queryset)


def user_get(*, user: AnyUser, user_id: int) -> User:
    """Return one user (admin only), or raise 404."""
    require_admin(user)
    return get_object_or_404(User, pk=user_id)


def user_memberships(*, user: AnyUser, member: User) -> QuerySet[Membership]:
    """Return the memberships of a user (admin only)."""
    require_admin(user)
    return member.memberships.select_related("sub_account").order_by(
        "sub_account__name"
    )


def audit_event_list(
    *, user: AnyUser, filters: QueryDict | dict[str, Any] | None = None
) -> AuditEventFilter:
    """Return the filter over audit events (admin and finance)."""
    require_admin_or_finance(user)
    return AuditEventFilter(
        filters or None, queryset=AuditEvent.objects.visible_to(user)
    )


def audit_event_get(*, user: AnyUser, event_id: int) -> AuditEvent:
    """Return one audit event (admin and finance), or raise 404."""
    require_admin_or_finance(user)
    return get_object_or_404(AuditEvent.objects.visible_to(user), pk=event_id)


def audit_events_for(
    *, user: AnyUser, sub_account: SubAccount, limit: int = 10
) -> list[AuditEvent]:
    """Return the latest audit events of one sub-account, if the user may see them."""
    events = AuditEvent.objects.visible_to(user).filter(sub_account=sub_account)
    return list(events.order_by("-created_at", "-id")[:limit])


def dashboard_figures(*, user: AnyUser) -> dict[str, Any]:
    """Return the figures the dashboard shows this user, by role."""
    teams = SubAccount.objects.visible_to(user)
    figures: dict[str, Any] = {
        "team_count": teams.count(),
        "enabled_team_count": teams.filter(enabled=True).count(),
    }
    if getattr(user, "sees_all_teams", False):
        figures["member_count"] = Membership.objects.count()
        figures["active_user_count"] = User.objects.filter(is_active=True).count()
        figures["teams_without_lead"] = list(
            teams.exclude(memberships__role="lead").order_by("name")[:10]
        )
        figures["latest_events"] = list(AuditEvent.objects.visible_to(user)[:10])
    else:
        figures["my_memberships"] = list(
            Membership.objects.filter(user_id=getattr(user, "pk", 0))
            .select_related("sub_account")
            .annotate(member_count=Count("sub_account__memberships"))
            .order_by("sub_account__name")
        )
    return figures


def owner_map(provider: ProviderAccount) -> dict[str, int]:
    """Map each sub-account auth id of a provider account to its row id."""
    rows = SubAccount.objects.filter(
        provider_account=provider, auth_id__isnull=False
    ).values_list("auth_id", "pk")
    return {auth_id: pk for auth_id, pk in rows if auth_id}
