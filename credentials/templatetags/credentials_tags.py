"""The dashboard card of the credentials app: secrets due for rotation."""

from __future__ import annotations

from typing import Any

from django import template

from credentials.choices import SecretStatus
from credentials.selectors import inventory

register = template.Library()


@register.inclusion_tag("credentials/includes/secrets_due_card.html")
def secrets_due_card(user: Any) -> dict[str, Any]:
    """Render how many secrets are overdue or due soon (admins)."""
    if not getattr(user, "is_admin", False):
        return {"show": False}
    found = inventory(user=user)
    counts = found.counts
    due = [item for item in found.items if item.needs_attention]
    return {
        "show": True,
        "overdue": counts[SecretStatus.OVERDUE],
        "due": counts[SecretStatus.DUE],
        "items": due[:5],
        "more": max(0, len(due) - 5),
    }
