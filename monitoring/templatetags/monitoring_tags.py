"""Dashboard cards of the monitoring app: API health and open alerts."""

from __future__ import annotations

from typing import Any

from django import template

from monitoring import selectors

register = template.Library()


@register.inclusion_tag("monitoring/includes/api_health_card.html")
def api_health_card(user: Any) -> dict[str, Any]:
    """Render the last hour's API figures and breaker state (admins)."""
    if not getattr(user, "is_admin", False):
        return {"show": False}
    return {"show": True, **selectors.api_health_summary(user=user)}


@register.inclusion_tag("monitoring/includes/open_alerts_card.html")
def open_alerts_card(user: Any) -> dict[str, Any]:
    """Render the count and newest of the firing alerts (admins and finance)."""
    if not getattr(user, "sees_all_teams", False):
        return {"show": False}
    return {"show": True, **selectors.open_alerts(user=user, limit=5)}
