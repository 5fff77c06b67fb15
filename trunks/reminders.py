"""Daily rotation reminders: 14, 7 and 1 days before a password is due, then
every day once it is overdue, to the team's leads and to the admins.

Each reminder is recorded as a `RotationReminder` row unique per credential and
milestone, written in the same transaction as the notifications, so running
the task twice (or on two workers) sends nothing new.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.notify import notify
from trunks import selectors
from trunks.models import RotationReminder, Trunk, TrunkCredential
from trunks.policy import CredentialAge, credential_age, rotation_days


def _message(
    trunk: Trunk, credential: TrunkCredential, age: CredentialAge
) -> tuple[str, str]:
    team = trunk.sub_account.name if trunk.sub_account else "the master account"
    if age.days_left < 0:
        title = f"SIP password of {trunk.name} is overdue for rotation"
    elif age.days_left == 0:
        title = f"SIP password of {trunk.name} is due for rotation today"
    else:
        days = age.days_left
        title = (
            f"SIP password of {trunk.name} is due for rotation in {days} "
            f"day{'s' if days != 1 else ''}"
        )
    body = (
        f"The SIP password of {credential.username} on trunk {trunk.name} ({team}) "
        f"was set on {timezone.localdate(age.since):%Y-%m-%d}; the "
        f"{rotation_days()}-day policy makes it due on {age.due_on:%Y-%m-%d}. "
        "An admin can rotate it from the trunk's page; a team lead can ask for it "
        "there."
    )
    return title, body


def _send_one(credential: TrunkCredential, now: dt.datetime) -> bool:
    age = credential_age(credential, now=now)
    milestone = age.milestone
    if milestone is None:
        return False
    sent = RotationReminder.objects.filter(credential=credential, milestone=milestone)
    if sent.exists():
        return False
    trunk = credential.trunks.present().select_related("sub_account").first()
    if trunk is None:
        return False
    title, body = _message(trunk, credential, age)
    try:
        with transaction.atomic():
            reminder = RotationReminder.objects.create(
                credential=credential, milestone=milestone, due_on=age.due_on
            )
            reminder.recipients = notify(
                users=selectors.reminder_recipients(trunk=trunk),
                title=title,
                body=body,
                url=trunk.get_absolute_url(),
            )
            reminder.save(update_fields=["recipients"])
    except IntegrityError:
        return False  # already sent for this milestone
    return True


def rotation_reminders_send(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Send the rotation reminders due today; return how many went out."""
    now = now or timezone.now()
    sent = skipped = 0
    for credential in selectors.credential_list_for_reminders():
        if _send_one(credential, now):
            sent += 1
        else:
            skipped += 1
    return {"sent": sent, "skipped": skipped}
