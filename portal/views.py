"""Project-level pages: the dashboard."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.selectors import dashboard_figures


@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """Show the figures that matter to the signed-in user's role."""
    context = {"figures": dashboard_figures(user=request.user), "section": "dashboard"}
    return render(request, "portal/dashboard.html", context)
