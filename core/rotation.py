"""The rotation policy of every secret: how long it may live, when to remind.

One table, plain data and date math, knowing no app: the trunks app reads it
for SIP passwords, the credentials app for Vobiz auth tokens, the console
password, webhook secrets and encryption keys. Kinds are the values of
`credentials.choices.SecretKind`.

A secret is due its kind's period after it was last set. "Due soon" starts
`WARN_DAYS` before that; reminders go out `REMINDER_DAYS` (14, 7 and 1 days)
before, then every `overdue_every_days` while it is overdue. Days are counted
in the portal's time zone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

REMINDER_DAYS = (14, 7, 1)
WARN_DAYS = REMINDER_DAYS[0]

OK, DUE, OVERDUE = "ok", "due", "overdue"
TONES = {OK: "green", DUE: "amber", OVERDUE: "red"}


@dataclass(frozen=True)
class Policy:
    """How long one kind of secret may live and how its reminders repeat.

    `setting` names the setting holding the period in days ("" for a fixed
    period, `default_days`). `reminded` is False for secrets that renew
    themselves.
    """

    setting: str
    default_days: int
    overdue_every_days: int = 1
    reminded: bool = True

    def days(self) -> int:
        """Return the rotation period in days, as configured now."""
        if not self.setting:
            return self.default_days
        return int(getattr(settings, self.setting, self.default_days))


# SIP passwords are reminded daily once overdue (the team must act), the
# portal's own secrets weekly (only the admins are told).
POLICIES: dict[str, Policy] = {
    "trunk_password": Policy("TRUNK_PASSWORD_ROTATION_DAYS", 90),
    "master_token": Policy("AUTH_TOKEN_ROTATION_DAYS", 90, overdue_every_days=7),
    "subaccount_token": Policy("AUTH_TOKEN_ROTATION_DAYS", 90, overdue_every_days=7),
    "console_password": Policy(
        "CONSOLE_PASSWORD_ROTATION_DAYS", 90, overdue_every_days=7
    ),
    "webhook_secret": Policy("WEBHOOK_SECRET_ROTATION_DAYS", 180, overdue_every_days=7),
    "encryption_key": Policy("ENCRYPTION_KEY_MAX_AGE_DAYS", 365, overdue_every_days=7),
    # Vobiz's console refresh tokens live seven days from issue and renew
    # themselves with every refresh.
    "refresh_token": Policy("", 7, reminded=False),
}


def policy_of(kind: str) -> Policy | None:
    """Return the policy of a kind of secret (None: it has none)."""
    return POLICIES.get(str(kind))


def period_days(kind: str) -> int | None:
    """Return the rotation period of a kind of secret in days (None: no policy)."""
    policy = policy_of(kind)
    return policy.days() if policy is not None else None


def _days(count: int) -> str:
    return f"{count} day{'s' if count != 1 else ''}"


@dataclass(frozen=True)
class Age:
    """How old a secret is against its period, and what that makes its status."""

    since: dt.datetime
    period: int
    due_at: dt.datetime
    due_on: dt.date
    age_days: int
    days_left: int
    overdue_every_days: int = 1

    @property
    def status(self) -> str:
        """Return ok, due (within the warning window) or overdue."""
        if self.days_left < 0:
            return OVERDUE
        return DUE if self.days_left <= WARN_DAYS else OK

    @property
    def label(self) -> str:
        """Return the badge text: the words say the state, not only the colour."""
        if self.days_left < 0:
            return f"Overdue by {_days(-self.days_left)}"
        if self.days_left == 0:
            return "Due today"
        if self.status == DUE:
            return f"Due in {_days(self.days_left)}"
        return "OK"

    @property
    def tone(self) -> str:
        """Return the badge colour of the status."""
        return TONES[self.status]

    @property
    def milestone(self) -> str | None:
        """Return the reminder this age calls for, or None before the window.

        The tightest threshold reached wins, so a run missed on day 14 still
        sends the 14-day reminder on day 13, and each milestone goes out once.
        """
        if self.days_left < 0:
            return self._overdue_milestone()
        for days in sorted(REMINDER_DAYS):
            if self.days_left <= days:
                return f"d{days}"
        return None

    def _overdue_milestone(self) -> str:
        late = -self.days_left
        # The names are those already stored in the reminder tables, so an
        # upgrade sends no reminder twice: daily ones by the day, others by week.
        if self.overdue_every_days == 1:
            today = self.due_on + dt.timedelta(days=late)
            return f"overdue-{today.isoformat()}"
        return f"overdue-w{(late - 1) // self.overdue_every_days}"


def age_of(
    kind: str,
    since: dt.datetime,
    *,
    now: dt.datetime | None = None,
    period: int | None = None,
) -> Age:
    """Return the age of a secret of `kind` last set at `since`.

    `period` overrides the kind's configured period (days); a kind without a
    policy needs one (ValueError otherwise).
    """
    now = now or timezone.now()
    policy = policy_of(kind)
    if period is None:
        if policy is None:
            raise ValueError(f"No rotation policy for {kind!r}.")
        period = policy.days()
    due_at = since + dt.timedelta(days=period)
    today = timezone.localdate(now)
    due_on = timezone.localdate(due_at)
    return Age(
        since=since,
        period=period,
        due_at=due_at,
        due_on=due_on,
        age_days=(today - timezone.localdate(since)).days,
        days_left=(due_on - today).days,
        overdue_every_days=policy.overdue_every_days if policy else 1,
    )
