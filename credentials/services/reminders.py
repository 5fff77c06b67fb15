"""Daily rotation reminders of every secret, from the one policy (core.rotation).

Reminders go out 14, 7 and 1 days before a secret is due, then, while it is
overdue, daily for SIP trunk passwords and weekly for the rest:

- the portal's own secrets (Vobiz auth tokens, the console password, webhook
  secrets, encryption keys) to every active admin, recorded as a
  `SecretReminder` per secret, milestone and due date;
- SIP trunk passwords to the trunk team's leads and the admins, recorded as a
  `trunks.RotationReminder` per credential and milestone.

Each record is written in the same transaction as its notifications and is
unique, so running the task twice (or on two workers) sends nothing new.
Refresh tokens renew themselves and get none.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.choices import GlobalRole
from accounts.models import User
from core.notify import notify
from core.rotation import Age, policy_of
from credentials.choices import SecretKind
from credentials.models import SecretReminder
from credentials.selectors import SecretItem, system_inventory
from credentials.services.keys import encryption_keys_record, encryption_keys_seen
from trunks import selectors as trunk_selectors
from trunks.models import RotationReminder, Trunk, TrunkCredential


def rotation_reminders_send(*, now: dt.datetime | None = None) -> dict[str, Any]:
    """Send every rotation reminder due today; return how many went out.

    `sent` counts all of them; `secrets` and `trunk_passwords` say how each
    part went.
    """
    now = now or timezone.now()
    secrets = secret_reminders_send(now=now)
    trunk_passwords = trunk_password_reminders_send(now=now)
    return {
        "sent": secrets["sent"] + trunk_passwords["sent"],
        "secrets": secrets,
        "trunk_passwords": trunk_passwords,
    }


# --- the portal's own secrets ------------------------------------------------------


def secret_reminders_send(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Remind the admins of the portal's secrets due for rotation.

    Each reminder once per secret, milestone and due date. SIP trunk passwords
    go to their teams too (`trunk_password_reminders_send`).
    """
    now = now or timezone.now()
    encryption_keys_record(now=now)
    encryption_keys_seen(now=now)
    admins = list(User.objects.filter(role=GlobalRole.ADMIN, is_active=True))
    counts = {"sent": 0, "already": 0}
    for item in system_inventory(now=now).items:
        if item.kind == SecretKind.TRUNK_PASSWORD or item.age is None:
            continue
        policy = policy_of(item.kind)
        if policy is None or not policy.reminded or item.age.milestone is None:
            continue
        counts["sent" if _remind_admins(item, item.age, admins) else "already"] += 1
    return counts


def _remind_admins(item: SecretItem, age: Age, admins: list[User]) -> bool:
    """Send one secret's reminder unless it went out already; say whether sent."""
    with transaction.atomic():
        reminder, created = SecretReminder.objects.get_or_create(
            object_key=item.key, due_on=age.due_on, milestone=age.milestone
        )
        if not created:
            return False
        reminder.recipients = notify(
            users=admins,
            title=f"{item.kind_label} {item.status_label.lower()}: {item.name}",
            body=(
                f"The {item.kind_label.lower()} “{item.name}” ({item.owner}) "
                f"is due for rotation on {age.due_on:%Y-%m-%d} "
                f"({age.period}-day policy)."
            ),
            url=item.action_url,
        )
        reminder.save(update_fields=["recipients"])
    return True


# --- SIP trunk passwords -----------------------------------------------------------


def trunk_password_reminders_send(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Remind the leads and admins of SIP passwords due for rotation.

    Only credentials in use on a present trunk; each milestone once.
    """
    now = now or timezone.now()
    sent = skipped = 0
    for credential in trunk_selectors.credential_list_for_reminders():
        if _remind_trunk_team(credential, now):
            sent += 1
        else:
            skipped += 1
    return {"sent": sent, "skipped": skipped}


def _remind_trunk_team(credential: TrunkCredential, now: dt.datetime) -> bool:
    """Send one credential's reminder if one is due and not yet sent."""
    age = trunk_selectors.credential_age(credential, now=now)
    milestone = age.milestone
    if milestone is None:
        return False
    sent = RotationReminder.objects.filter(credential=credential, milestone=milestone)
    if sent.exists():
        return False
    trunk = credential.trunks.present().select_related("sub_account").first()
    if trunk is None:
        return False
    title, body = _trunk_message(trunk, credential, age)
    try:
        with transaction.atomic():
            reminder = RotationReminder.objects.create(
                credential=credential, milestone=milestone, due_on=age.due_on
            )
            reminder.recipients = notify(
                users=trunk_selectors.reminder_recipients(trunk=trunk),
                title=title,
                body=body,
                url=trunk.get_absolute_url(),
            )
            reminder.save(update_fields=["recipients"])
    except IntegrityError:
        return False  # another run sent this milestone meanwhile
    return True


def _trunk_message(
    trunk: Trunk, credential: TrunkCredential, age: Age
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
        f"{age.period}-day policy makes it due on {age.due_on:%Y-%m-%d}. "
        "An admin can rotate it from the trunk's page; a team lead can ask for it "
        "there."
    )
    return title, body
