"""Billing cards for the dashboard: `{% load billing_tags %}{% billing_cards %}`."""

from __future__ import annotations

from typing import Any

from django import template

from billing import selectors

register = template.Library()


@register.inclusion_tag("billing/includes/dashboard_cards.html", takes_context=True)
def billing_cards(context: template.Context) -> dict[str, Any]:
    """Render balance, runway and budgets for admin and finance; calls for members."""
    user = context["user"]
    if getattr(user, "sees_all_teams", False):
        return {
            "finance": True,
            "accounts": selectors.balance_summary(user=user),
            "teams": selectors.team_spend(user=user)[:8],
            "user": user,
        }
    return {
        "finance": False,
        "week": selectors.calls_this_week(user=user),
        "user": user,
    }
