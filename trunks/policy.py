"""The rotation policy: how old a SIP password may get and when to remind.

A password is due `TRUNK_PASSWORD_ROTATION_DAYS` (default 90) after it was last
set. Reminders go out 14, 7 and 1 days before the due date and every day once it
has passed. Days are counted in the portal's time zone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from trunks.models import TrunkCredential

REMINDER_DAYS = (14, 7, 1)


def rotation_days() -> int:
    """Return the rotation period in days (settings.TRUNK_PASSWORD_ROTATION_DAYS)."""
    return int(getattr(settings, "TRUNK_PASSWORD_ROTATION_DAYS", 90))


@dataclass(frozen=True)
class CredentialAge:
    """How old a credential's password is and when it is due."""

    since: dt.datetime
    due_at: dt.datetime
    due_on: dt.date
    age_days: int
    days_left: int

    @property
    def state(self) -> str:
        """Return ok, due (within the reminder window) or overdue."""
        if self.days_left < 0:
            return "overdue"
        return "due" if self.days_left <= REMINDER_DAYS[0] else "ok"

    @property
    def label(self) -> str:
        """Return the badge text: the words say the state, not only the colour."""
        if self.days_left < 0:
            days = -self.days_left
            return f"Overdue by {days} day{'s' if days != 1 else ''}"
        if self.days_left == 0:
            return "Due today"
        if self.state == "due":
            return f"Due in {self.days_left} day{'s' if self.days_left != 1 else ''}"
        return "OK"

    @property
    def tone(self) -> str:
        return {"ok": "green", "due": "amber", "overdue": "red"}[self.state]

    @property
    def milestone(self) -> str | None:
        """Return the reminder this age calls for, or None before the window.

        The tightest threshold reached wins, so a run missed on day 14 still
        sends the 14-day reminder on day 13, and each milestone goes out once.
        """
        if self.days_left < 0:
            today = self.due_on + dt.timedelta(days=-self.days_left)
            return f"overdue-{today.isoformat()}"
        for days in sorted(REMINDER_DAYS):
            if self.days_left <= days:
                return f"d{days}"
        return None


def credential_age(
    credential: TrunkCredential, *, now: dt.datetime | None = None
) -> CredentialAge:
    """Return the age and due date of a credential's password."""
    now = now or timezone.now()
    since = credential.age_base
    due_at = since + dt.timedelta(days=rotation_days())
    today = timezone.localdate(now)
    due_on = timezone.localdate(due_at)
    return CredentialAge(
        since=since,
        due_at=due_at,
        due_on=due_on,
        age_days=(today - timezone.localdate(since)).days,
        days_left=(due_on - today).days,
    )
