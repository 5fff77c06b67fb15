"""Show a secret exactly once: a one-time ticket in the session, then it is gone.

A write that produces a secret (a new SIP password, a sub-account's auth token)
stores it encrypted and calls `offer`, which files a ticket naming the row (never
the secret) in the user's server-side session and returns the URL of the page
that shows it. Opening that page takes the ticket out of the session, so going
back, reloading or sharing the URL shows nothing. The page is sent `no-store`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

SESSION_KEY = "show_once"
CREDENTIAL = "credential"
SUBACCOUNT_TOKEN = "subaccount_token"  # noqa: S105 (a ticket kind)


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


def offer(
    request: HttpRequest, *, kind: str, pk: int, job_id: int | None = None
) -> str:
    """File a one-time ticket for a stored secret; return the page's URL."""
    ticket = secrets.token_urlsafe(16)
    tickets = dict(request.session.get(SESSION_KEY, {}))
    tickets[ticket] = {"kind": kind, "pk": pk, "job": job_id}
    request.session[SESSION_KEY] = tickets
    return f"{reverse('trunks:secret_show')}?t={ticket}"


def take(request: HttpRequest, ticket: str) -> Shown | None:
    """Remove a ticket from the session and return what it shows, or None."""
    tickets = dict(request.session.get(SESSION_KEY, {}))
    entry = tickets.pop(ticket, None)
    request.session[SESSION_KEY] = tickets
    if not isinstance(entry, dict):
        return None
    if entry.get("kind") == SUBACCOUNT_TOKEN:
        return _subaccount_token(int(entry["pk"]))
    if entry.get("kind") == CREDENTIAL:
        return _credential(int(entry["pk"]), entry.get("job"))
    return None


def _subaccount_token(pk: int) -> Shown | None:
    from accounts.models import SubAccount

    sub_account = SubAccount.objects.filter(pk=pk).first()
    if sub_account is None or not sub_account.auth_token:
        return None
    return Shown(
        title=f"Auth token of {sub_account.name}",
        label="Auth token",
        value=sub_account.auth_token.reveal(),
        username=sub_account.auth_id or "",
        back_url=sub_account.get_absolute_url(),
        back_label=f"Back to {sub_account.name}",
        note="Use it with the auth id in the X-Auth-ID and X-Auth-Token headers.",
    )


def _credential(pk: int, job_id: int | None) -> Shown | None:
    from trunks.models import RotationJob, TrunkCredential

    credential = TrunkCredential.objects.filter(pk=pk).first()
    if credential is None or not credential.password:
        return None
    trunk = credential.trunks.first()
    back = trunk.get_absolute_url() if trunk else reverse("trunks:trunk_list")
    note = ""
    if job_id is not None:
        # Exactly once across sessions too: the first page view claims it.
        claimed = RotationJob.objects.filter(
            pk=job_id, password_shown_at__isnull=True
        ).update(password_shown_at=timezone.now())
        if not claimed:
            return None
        job = RotationJob.objects.get(pk=job_id)
        if job.is_open:
            note = (
                "The new password is in use. The rotation has not finished "
                "(the old credential is still to be removed); see its status page."
            )
            back = job.get_absolute_url()
    return Shown(
        title=f"SIP password for {trunk.name if trunk else credential.username}",
        label="SIP password",
        value=credential.password.reveal(),
        username=credential.username,
        back_url=back,
        back_label="Done",
        note=note,
    )
