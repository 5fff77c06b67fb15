"""htmx helpers shared by the views."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers


def htmx_partial(request: HttpRequest) -> bool:
    """Say whether to answer with a fragment: an htmx request that is not boosted."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted  # type: ignore[union-attr]


def render_page(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    partial: str,
    status: int = 200,
) -> HttpResponse:
    """Render the whole page, or only `template#partial` for an htmx request."""
    name = f"{template}#{partial}" if htmx_partial(request) else template
    response = render(request, name, context, status=status)
    patch_vary_headers(response, ("HX-Request",))
    return response


def redirect_after_write(request: HttpRequest, to: Any) -> HttpResponse:
    """Send the browser to `to` after a successful write.

    An htmx form would swap a followed redirect into itself, so htmx requests get
    an `HX-Redirect` and navigate as a whole page instead.
    """
    from django.shortcuts import redirect, resolve_url
    from django_htmx.http import HttpResponseClientRedirect

    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(resolve_url(to))
    return redirect(to)
