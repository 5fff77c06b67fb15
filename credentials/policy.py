"""Rotation periods per kind of secret and how old is too old.

A secret is due `period` days after it was last set; "due soon" starts
`WARN_DAYS` before that and reminders go out 14, 7 and 1 days before, then
weekly while it is overdue. Days are counted in the portal's time zone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from credentials.choices import SecretKind, SecretStatus

WARN_DAYS = 14
REMINDER_DAYS = (14, 7, 1)
OVERDUE_REMINDER_EVERY_DAYS = 7
# Vobiz's console refresh tokens live seven days from issue.
REFRESH_TOKEN_DAYS = 7

TONES = {
    SecretStatus.OK: "green",
    SecretStatus.DUE: "amber",
    SecretStatus.OVERDUE: "red",
    SecretStatus.EXPIRED: "grey",
    SecretStatus.NOT_HELD: "grey",
}


def period_days(kind: str) -> int | None:
    """Return the rotation period of a kind of secret in days (None: no policy)."""
    from trunks.policy import rotation_days

    periods = {
        SecretKind.MASTER_TOKEN: settings.AUTH_TOKEN_ROTATION_DAYS,
        SecretKind.SUBACCOUNT_TOKEN: settings.AUTH_TOKEN_ROTATION_DAYS,
        SecretKind.CONSOLE_PASSWORD: settings.CONSOLE_PASSWORD_ROTATION_DAYS,
        SecretKind.REFRESH_TOKEN: REFRESH_TOKEN_DAYS,
        SecretKind.TRUNK_PASSWORD: rotation_days(),
        SecretKind.WEBHOOK_SECRET: settings.WEBHOOK_SECRET_ROTATION_DAYS,
        SecretKind.ENCRYPTION_KEY: settings.ENCRYPTION_KEY_MAX_AGE_DAYS,
    }
    value = periods.get(SecretKind(kind))
    return int(value) if value is not None else None


@dataclass(frozen=True)
class Age:
    """How old a secret is against its period, and what that makes its status."""

    since: dt.datetime
    period: int
    age_days: int
    due_on: dt.date
    days_left: int

    @property
    def status(self) -> str:
        if self.days_left < 0:
            return SecretStatus.OVERDUE
        return SecretStatus.DUE if self.days_left <= WARN_DAYS else SecretStatus.OK

    @property
    def label(self) -> str:
        """Return the badge text; the words say the state, not only the colour."""
        if self.days_left < 0:
            return f"Overdue by {_days(-self.days_left)}"
        if self.days_left == 0:
            return "Due today"
        if self.status == SecretStatus.DUE:
            return f"Due in {_days(self.days_left)}"
        return "OK"

    @property
    def milestone(self) -> str | None:
        """Return the reminder this age calls for, or None before the window.

        The tightest threshold reached wins, so a missed daily run still sends
        the reminder the next day; once overdue, one reminder a week.
        """
        if self.days_left < 0:
            week = (-self.days_left - 1) // OVERDUE_REMINDER_EVERY_DAYS
            return f"overdue-w{week}"
        for days in sorted(REMINDER_DAYS):
            if self.days_left <= days:
                return f"d{days}"
        return None


def _days(count: int) -> str:
    return f"{count} day{'s' if count != 1 else ''}"


def age_of(since: dt.datetime, period: int, *, now: dt.datetime) -> Age:
    """Return the age of a secret last set at `since` under a `period`-day policy."""
    today = timezone.localdate(now)
    due_on = timezone.localdate(since + dt.timedelta(days=period))
    return Age(
        since=since,
        period=period,
        age_days=(today - timezone.localdate(since)).days,
        due_on=due_on,
        days_left=(due_on - today).days,
    )
