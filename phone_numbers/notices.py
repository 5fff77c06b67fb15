"""Tell people about their number requests (in the portal and by e-mail)."""

from __future__ import annotations

from collections.abc import Iterable

from accounts.models import User
from core.notify import notify


def tell(*, users: Iterable[User], title: str, body: str, url: str = "") -> None:
    """Notify users in the same transaction as the change they are told about.

    The in-portal notice commits (or rolls back) with the change; the e-mail goes
    out after the commit (monitoring.notify).
    """
    notify(users=list(users), title=title, body=body, url=url)
