"""Notices to people: one in-portal notification each, and an e-mail after commit."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from core.notify import notify
from monitoring.models import Notification

pytestmark = pytest.mark.django_db


def test_each_active_user_gets_one_notification_and_one_mail(
    lead_a, viewer_a, django_capture_on_commit_callbacks
):
    viewer_a.is_active = False
    viewer_a.save()
    with django_capture_on_commit_callbacks(execute=True):
        sent = notify(
            users=[lead_a, lead_a, viewer_a],
            title="Rotate soon",
            body="Trunk X's password is due in 7 days.",
            url="/trunks/1/",
        )
    assert sent == 1
    notice = Notification.objects.get()
    assert (notice.user, notice.title, notice.url) == (
        lead_a,
        "Rotate soon",
        "/trunks/1/",
    )
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [lead_a.email]
    assert "/trunks/1/" in mail.outbox[0].body


def test_no_mail_when_the_transaction_rolls_back(
    lead_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify(users=[lead_a], title="t", body="b")
    assert len(callbacks) == 1 and not mail.outbox


def test_notices_show_in_the_list(as_lead_a, lead_a):
    notify(users=[lead_a], title="Numbers ready", body="2 numbers bought", email=False)
    page = as_lead_a.get(reverse("monitoring:notification_list"))
    assert b"Numbers ready" in page.content and b"2 numbers bought" in page.content
