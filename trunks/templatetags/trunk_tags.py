"""Badges for trunk pages: trunk state and password age, in words and colour."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from core.rotation import Age
from trunks.models import Trunk
from trunks.selectors import credential_age, trunk_state

register = template.Library()


@register.simple_tag
def trunk_badge(trunk: Trunk) -> SafeString:
    """Render the trunk's state (active, inactive, auth failures, disabled…)."""
    _state, label, tone = trunk_state(trunk)
    return format_html('<span class="badge badge-{}">{}</span>', tone, label)


@register.simple_tag
def age_badge(age: Age | None) -> SafeString:
    """Render a password's rotation state: OK, due in N days, overdue."""
    if age is None:
        return format_html('<span class="muted">{}</span>', "No password")
    return format_html(
        '<span class="badge badge-{}" title="Due {}">{}</span>',
        age.tone,
        f"{age.due_on:%Y-%m-%d}",
        age.label,
    )


@register.simple_tag
def password_badge(trunk: Trunk) -> SafeString:
    """Render the rotation state of a trunk's password (no query: uses the
    credential the list selected with the trunk)."""
    credential = trunk.credential
    if credential is None or credential.removed_at:
        return format_html('<span class="muted">{}</span>', "—")
    return age_badge(credential_age(credential))
