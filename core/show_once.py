"""Show a secret exactly once: a one-time ticket in the session, then it is gone.

A write that produces a secret (a new SIP password, a sub-account's auth token)
stores it encrypted and calls `offer`, which files a ticket naming the row (never
the secret) in the user's server-side session and returns the URL of the page
that shows it. Opening that page takes the ticket out of the session, so going
back, reloading or sharing the URL shows nothing. The page is sent `no-store`.

The kernel keeps the tickets; each app that makes secrets registers, when it
starts, how to read one kind back (`resolver_add`), and the app that serves the
page names it (`page_set`).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse

SESSION_KEY = "show_once"


@dataclass(frozen=True)
class Shown:
    """What the show-once page displays."""

    title: str
    label: str
    value: str
    username: str
    back_url: str
    back_label: str
    note: str = ""


# A resolver reads the secret of row `pk` (with the rotation job, if any) back,
# or None when it is gone or was shown already.
Resolver = Callable[[int, int | None], Shown | None]
_resolvers: dict[str, Resolver] = {}
_page = ""


def resolver_add(kind: str, resolver: Resolver) -> None:
    """Say how to show secrets of one kind (apps call it when they start)."""
    _resolvers[kind] = resolver


def page_set(url_name: str) -> None:
    """Name the page that shows secrets (the app that serves it calls this)."""
    global _page  # one page per process, named at start-up
    _page = url_name


def offer(
    request: HttpRequest, *, kind: str, pk: int, job_id: int | None = None
) -> str:
    """File a one-time ticket for a stored secret; return the page's URL."""
    if kind not in _resolvers or not _page:
        raise LookupError(f"no show-once page for secrets of kind {kind!r}")
    ticket = secrets.token_urlsafe(16)
    tickets = dict(request.session.get(SESSION_KEY, {}))
    tickets[ticket] = {"kind": kind, "pk": pk, "job": job_id}
    request.session[SESSION_KEY] = tickets
    return f"{reverse(_page)}?t={ticket}"


def take(request: HttpRequest, ticket: str) -> Shown | None:
    """Remove a ticket from the session and return what it shows, or None."""
    tickets = dict(request.session.get(SESSION_KEY, {}))
    entry = tickets.pop(ticket, None)
    request.session[SESSION_KEY] = tickets
    if not isinstance(entry, dict):
        return None
    resolver = _resolvers.get(str(entry.get("kind")))
    if resolver is None:
        return None
    return resolver(int(entry["pk"]), entry.get("job"))
