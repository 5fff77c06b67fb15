"""Project-level pages: the dashboard."""

from __future__ import annotations

from typing import Any

from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.selectors import dashboard_figures
from accounts.types import AuthedRequest
from phone_numbers.models import PhoneNumber
from phone_numbers.selectors import pending_request_count
from trunks.models import Trunk


def _team_counts(figures: dict[str, Any]) -> None:
    """Add numbers and trunks per team to a member's dashboard (two queries)."""
    memberships = figures.get("my_memberships") or []
    teams = [m.sub_account_id for m in memberships]
    if not teams:
        return
    numbers = dict(
        PhoneNumber.objects.present()
        .filter(sub_account_id__in=teams)
        .values("sub_account_id")
        .annotate(n=Count("pk"))
        .values_list("sub_account_id", "n")
    )
    trunks = dict(
        Trunk.objects.present()
        .filter(sub_account_id__in=teams)
        .values("sub_account_id")
        .annotate(n=Count("pk"))
        .values_list("sub_account_id", "n")
    )
    for membership in memberships:
        membership.number_count = numbers.get(membership.sub_account_id, 0)
        membership.trunk_count = trunks.get(membership.sub_account_id, 0)


@require_GET
def dashboard(request: AuthedRequest) -> HttpResponse:
    """Show the figures that matter to the signed-in user's role."""
    figures = dashboard_figures(user=request.user)
    if request.user.is_admin:
        figures["pending_requests"] = pending_request_count(user=request.user)
    else:
        _team_counts(figures)
    context = {"figures": figures, "section": "dashboard"}
    return render(request, "portal/dashboard.html", context)
