"""Tell people something: the one call every app makes to notify users.

The kernel only routes the call. The monitoring app, which owns notifications
and their e-mail, installs the sender when it starts (`sender_set`), so the apps
below it can notify without importing it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from django.core.exceptions import ImproperlyConfigured


class Sender(Protocol):
    """Deliver one notice to users; return how many were notified."""

    def __call__(
        self, *, users: Iterable[Any], title: str, body: str, url: str, email: bool
    ) -> int: ...


_sender: Sender | None = None


def sender_set(sender: Sender) -> None:
    """Install the function that delivers notices (the monitoring app's)."""
    global _sender  # one process-wide sender, set at start-up
    _sender = sender


def notify(
    *,
    users: Iterable[Any],
    title: str,
    body: str,
    url: str = "",
    email: bool = True,
) -> int:
    """Notify each active user once, in the portal and (after commit) by e-mail.

    Return how many users were notified. See `monitoring.notify.notify_send`.
    """
    if _sender is None:
        raise ImproperlyConfigured("No notification sender: is monitoring installed?")
    return _sender(users=users, title=title, body=body, url=url, email=email)
