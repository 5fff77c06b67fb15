"""Rotation reminders under a moving clock: 14, 7 and 1 days before the due date
and daily once overdue, each exactly once, to the team's leads and the admins."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from monitoring.models import Notification
from tests.trunks.factories import TrunkCredentialFactory, TrunkFactory
from trunks.models import RotationReminder
from trunks.reminders import rotation_reminders_send
from trunks.tasks import rotation_reminders_send as reminders_task

pytestmark = pytest.mark.django_db

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
        return rotation_reminders_send()


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


def test_the_daily_task_wraps_the_service(trunk, time_machine):
    time_machine.move_to(day(76), tick=False)
    assert reminders_task.apply().get() == {"sent": 1, "skipped": 0}
