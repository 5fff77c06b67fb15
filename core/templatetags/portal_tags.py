"""Template helpers: query strings, durations, money and status badges."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag
def query_with(request: HttpRequest, **changes: Any) -> str:
    """Return the current query string with some keys replaced (None drops one)."""
    query = request.GET.copy()
    for key, value in changes.items():
        if value is None or value == "":
            query.pop(key, None)
        else:
            query[key] = str(value)
    return query.urlencode()


@register.filter
def duration(seconds: int | float | None) -> str:
    """Format seconds as `1h 02m`, `3m 05s` or `42s`."""
    if seconds is None:
        return "—"
    total = int(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


@register.filter
def money(amount: Decimal | float | int | None, currency: str = "") -> str:
    """Format an amount with two decimals, thousands separators and its currency."""
    if amount is None:
        return "—"
    text = f"{Decimal(str(amount)):,.2f}"
    return f"{text} {currency}".strip()


@register.simple_tag
def badge(label: str, tone: str = "grey") -> SafeString:
    """Render a status badge; the label always says the state, not only the colour."""
    return format_html('<span class="badge badge-{}">{}</span>', tone, label)
