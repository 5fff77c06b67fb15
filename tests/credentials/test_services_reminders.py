"""Rotation reminders of every secret, sent by one daily task.

The portal's own secrets: 14, 7 and 1 days before, weekly once overdue, each
once per secret, milestone and due date, to every admin in the portal and by
e-mail. SIP trunk passwords: 14, 7 and 1 days before the due date and daily
once overdue, each exactly once, to the team's leads and the admins."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from accounts.choices import GlobalRole
from credentials import tasks
from credentials.choices import RotationState, SecretKind
from credentials.models import RotationRecord, SecretReminder
from credentials.services import (
    rotation_reminders_send,
    trunk_password_reminders_send,
)
from monitoring.models import Notification
from sync.models import ProviderAccount
from tests.credentials.test_views_inventory import sip_trunk
from tests.factories import UserFactory
from tests.trunks.factories import TrunkCredentialFactory, TrunkFactory
from trunks.models import RotationReminder

pytestmark = pytest.mark.django_db

# --- the portal's own secrets ----------------------------------------------------

START = dt.datetime(2026, 3, 1, 6, 0, tzinfo=dt.UTC)


@pytest.fixture
def master(provider, settings, time_machine):
    """Only the master token: created on START, due 90 days later."""
    settings.AUTH_TOKEN_ROTATION_DAYS = 90
    time_machine.move_to(START, tick=False)
    ProviderAccount.objects.filter(pk=provider.pk).update(created_at=START)
    return provider


def on_day(time_machine, day, capture):
    time_machine.move_to(START + dt.timedelta(days=day), tick=False)
    with capture(execute=True):
        return rotation_reminders_send()


def titles(user):
    return list(
        Notification.objects.filter(user=user)
        .order_by("pk")
        .values_list("title", flat=True)
    )


def test_reminders_go_out_at_each_milestone_once(
    master, admin_user, time_machine, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    assert on_day(time_machine, 70, capture)["sent"] == 0
    assert on_day(time_machine, 76, capture)["sent"] == 1  # 14 days left
    assert on_day(time_machine, 77, capture)["sent"] == 0  # already sent
    assert on_day(time_machine, 83, capture)["sent"] == 1  # 7 days left
    assert on_day(time_machine, 89, capture)["sent"] == 1  # 1 day left
    assert on_day(time_machine, 91, capture)["sent"] == 1  # overdue, week 0
    assert on_day(time_machine, 95, capture)["sent"] == 0
    assert on_day(time_machine, 98, capture)["sent"] == 1  # overdue, week 1
    notices = titles(admin_user)
    assert len(notices) == 5
    assert notices[0] == f"Master auth token due in 14 days: {master.auth_id}"
    assert notices[-1].startswith("Master auth token overdue by 8 days")
    assert len(mail.outbox) == 5 and mail.outbox[0].to == [admin_user.email]
    assert SecretReminder.objects.count() == 5


def test_every_active_admin_is_told_and_no_one_else(
    master, admin_user, finance_user, time_machine, django_capture_on_commit_callbacks
):
    other = UserFactory(email="admin2@example.com", role=GlobalRole.ADMIN)
    UserFactory(email="gone@example.com", role=GlobalRole.ADMIN, is_active=False)
    on_day(time_machine, 76, django_capture_on_commit_callbacks)
    assert titles(admin_user) and titles(other)
    assert titles(finance_user) == []
    assert SecretReminder.objects.get().recipients == 2


def test_a_rotation_starts_a_new_cycle(
    master, admin_user, time_machine, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    on_day(time_machine, 76, capture)
    RotationRecord.objects.create(
        kind=SecretKind.MASTER_TOKEN,
        object_key=f"provider:{master.pk}",
        state=RotationState.DONE,
        finished_at=START + dt.timedelta(days=80),
    )
    assert on_day(time_machine, 89, capture)["sent"] == 0  # no longer due
    assert on_day(time_machine, 80 + 76, capture)["sent"] == 1  # the next d14


def test_trunk_passwords_are_reminded_as_trunk_passwords_not_as_secrets(
    provider, team_a, admin_user, time_machine, django_capture_on_commit_callbacks
):
    trunk = sip_trunk(team_a)
    trunk.credential.__class__.objects.filter(pk=trunk.credential_id).update(
        remote_created_at=START - dt.timedelta(days=200)
    )
    ProviderAccount.objects.filter(pk=provider.pk).update(created_at=START)
    on_day(time_machine, 1, django_capture_on_commit_callbacks)
    assert not SecretReminder.objects.filter(object_key__startswith="credential:")
    # The one daily run sent it once, the trunk passwords' way (to the team).
    assert RotationReminder.objects.filter(credential=trunk.credential).count() == 1


def test_the_task_runs_the_service(master, admin_user, time_machine):
    time_machine.move_to(START + dt.timedelta(days=76), tick=False)
    assert tasks.rotation_reminders_send.run()["sent"] == 1


# --- SIP trunk passwords ---------------------------------------------------------

SET = dt.datetime(2026, 1, 1, 9, 0, tzinfo=dt.UTC)  # due 2026-04-01 (90 days)


@pytest.fixture
def trunk(team_a, lead_a, viewer_a, lead_b, admin_user, finance_user):
    credential = TrunkCredentialFactory(sub_account=team_a, rotated_at=SET)
    return TrunkFactory(sub_account=team_a, name="Sales Out", credential=credential)


def day(n: int) -> dt.datetime:
    return SET + dt.timedelta(days=n)


def run_on(time_machine, n: int, capture) -> dict[str, int]:
    time_machine.move_to(day(n), tick=False)
    with capture(execute=True):
        return trunk_password_reminders_send()


def milestones() -> list[str]:
    return list(RotationReminder.objects.order_by("sent_at", "pk").values_list(
        "milestone", flat=True
    ))  # fmt: skip


def test_the_schedule_sends_each_reminder_once(
    trunk, time_machine, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    sent_on = {}
    for n in range(70, 95):
        sent_on[n] = run_on(time_machine, n, capture)["sent"]
        # A second run the same day (a duplicate beat, a retry) sends nothing.
        assert run_on(time_machine, n, capture)["sent"] == 0
    assert [n for n, sent in sent_on.items() if sent] == [76, 83, 89, 91, 92, 93, 94]
    assert milestones() == [
        "d14", "d7", "d1",
        "overdue-2026-04-02", "overdue-2026-04-03", "overdue-2026-04-04",
        "overdue-2026-04-05",
    ]  # fmt: skip


def test_reminders_go_to_the_team_leads_and_admins_only(
    trunk, time_machine, django_capture_on_commit_callbacks, lead_a, admin_user
):
    run_on(time_machine, 76, django_capture_on_commit_callbacks)
    notified = set(Notification.objects.values_list("user__email", flat=True))
    assert notified == {lead_a.email, admin_user.email}
    assert sorted(m.to[0] for m in mail.outbox) == sorted(notified)
    notice = Notification.objects.first()
    assert notice.title == "SIP password of Sales Out is due for rotation in 14 days"
    assert "due on 2026-04-01" in notice.body
    assert notice.url == trunk.get_absolute_url()
    reminder = RotationReminder.objects.get()
    assert reminder.recipients == 2 and reminder.due_on == dt.date(2026, 4, 1)


def test_an_overdue_reminder_says_so(
    trunk, time_machine, django_capture_on_commit_callbacks
):
    run_on(time_machine, 95, django_capture_on_commit_callbacks)
    assert Notification.objects.first().title == (
        "SIP password of Sales Out is overdue for rotation"
    )


def test_a_missed_day_still_sends_the_milestone_once(
    trunk, time_machine, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    assert run_on(time_machine, 78, capture)["sent"] == 1  # day 14 was missed
    assert run_on(time_machine, 80, capture)["sent"] == 0
    assert run_on(time_machine, 84, capture)["sent"] == 1
    assert milestones() == ["d14", "d7"]


def test_the_period_comes_from_the_setting(
    trunk, time_machine, django_capture_on_commit_callbacks, settings
):
    settings.TRUNK_PASSWORD_ROTATION_DAYS = 30
    run_on(time_machine, 16, django_capture_on_commit_callbacks)
    assert RotationReminder.objects.get().due_on == dt.date(2026, 1, 31)


def test_rotated_unattached_and_removed_credentials_get_none(
    team_a, time_machine, django_capture_on_commit_callbacks, admin_user
):
    TrunkCredentialFactory(sub_account=team_a, rotated_at=SET)  # on no trunk
    gone = TrunkCredentialFactory(sub_account=team_a, rotated_at=SET, removed_at=SET)
    TrunkFactory(sub_account=team_a, credential=gone)
    deleted = TrunkFactory(sub_account=team_a, removed_at=SET)
    deleted.credential.rotated_at = SET
    deleted.credential.save()
    result = run_on(time_machine, 100, django_capture_on_commit_callbacks)
    assert result["sent"] == 0 and not Notification.objects.exists()


def test_the_one_daily_task_sends_the_trunk_password_reminders(trunk, time_machine):
    time_machine.move_to(day(76), tick=False)
    result = tasks.rotation_reminders_send.apply().get()
    assert result["trunk_passwords"] == {"sent": 1, "skipped": 0}
    assert result["sent"] == result["secrets"]["sent"] + 1
