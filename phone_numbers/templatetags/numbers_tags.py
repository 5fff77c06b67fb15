"""Template helpers for numbers: readable E.164 and status badges."""

from __future__ import annotations

import phonenumbers
from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from phone_numbers.choices import (
    PURCHASE_BADGE,
    REQUEST_BADGE,
    PurchaseStatus,
    RequestStatus,
)

register = template.Library()

NUMBER_BADGE = {
    "active": "green",
    "pending_purchase": "amber",
    "pending_release": "amber",
    "released": "grey",
    "blocked": "red",
}


def _india(national: str) -> str | None:
    # Group by series, the way people read Indian numbers: +91 80 1234 5678,
    # +91 140 123 4567, +91 1800 123 4567.
    if national.startswith("1800") and len(national) == 11:
        return f"+91 {national[:4]} {national[4:7]} {national[7:]}"
    if national[:3] in ("140", "160") and len(national) == 10:
        return f"+91 {national[:3]} {national[3:6]} {national[6:]}"
    if len(national) == 10:
        return f"+91 {national[:2]} {national[2:6]} {national[6:]}"
    return None


@register.filter
def e164_display(e164: str | None) -> str:
    """Show an E.164 number with readable grouping (E.164 digits, in order)."""
    if not e164:
        return "—"
    if e164.startswith("+91"):
        grouped = _india(e164[3:])
        if grouped:
            return grouped
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(
        parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )


@register.simple_tag
def request_badge(status: str) -> SafeString:
    """Render a request's status as a badge with its words."""
    label = RequestStatus(status).label if status in RequestStatus.values else status
    return format_html(
        '<span class="badge badge-{}">{}</span>',
        REQUEST_BADGE.get(status, "grey"),
        label,
    )


@register.simple_tag
def purchase_badge(status: str) -> SafeString:
    """Render one purchase's status as a badge with its words."""
    label = PurchaseStatus(status).label if status in PurchaseStatus.values else status
    return format_html(
        '<span class="badge badge-{}">{}</span>',
        PURCHASE_BADGE.get(status, "grey"),
        label,
    )


@register.simple_tag
def number_badge(status: str, label: str) -> SafeString:
    """Render an owned number's status as a badge."""
    return format_html(
        '<span class="badge badge-{}">{}</span>',
        NUMBER_BADGE.get(status, "grey"),
        label,
    )
