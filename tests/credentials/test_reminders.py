"""Rotation reminders: 14, 7 and 1 days before, weekly once overdue, each once per
secret, milestone and due date, to every admin in the portal and by e-mail;
SIP trunk passwords are left to the trunks app."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from accounts.choices import GlobalRole
from credentials import tasks
from credentials.choices import RotationState, SecretKind
from credentials.models import RotationRecord, SecretReminder
from credentials.services import rotation_reminders_send
from monitoring.models import Notification
from sync.models import ProviderAccount
from tests.credentials.test_views_inventory import sip_trunk
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

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


def test_trunk_passwords_are_left_to_the_trunks_app(
    provider, team_a, admin_user, time_machine, django_capture_on_commit_callbacks
):
    trunk = sip_trunk(team_a)
    trunk.credential.__class__.objects.filter(pk=trunk.credential_id).update(
        remote_created_at=START - dt.timedelta(days=200)
    )
    ProviderAccount.objects.filter(pk=provider.pk).update(created_at=START)
    on_day(time_machine, 1, django_capture_on_commit_callbacks)
    assert not SecretReminder.objects.filter(object_key__startswith="credential:")


def test_the_task_runs_the_service(master, admin_user, time_machine):
    time_machine.move_to(START + dt.timedelta(days=76), tick=False)
    assert tasks.rotation_reminders_send.run()["sent"] == 1
