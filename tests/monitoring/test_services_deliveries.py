"""Delivery to channels: signed webhooks to a local HTTPS receiver, retries with
backoff in the delivery log, one worker per attempt, e-mail and test sends."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import smtplib
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from billing.models import BalanceSnapshot
from monitoring import services
from monitoring.models import Alert, Delivery
from monitoring.services import deliveries
from portal.celery import app as celery_app
from tests.monitoring.conftest import only_rule

pytestmark = pytest.mark.django_db


@pytest.fixture
def low_balance_alert(provider):
    only_rule("balance_low")
    BalanceSnapshot.objects.create(
        provider_account=provider,
        taken_at=timezone.now(),
        currency="INR",
        balance=Decimal("120"),
        available_balance=Decimal("120"),
        low_balance_threshold=Decimal("1000"),
    )


def webhook(admin_user, url, name="Ops webhook"):
    return services.channel_create(actor=admin_user, name=name, kind="webhook", url=url)


def fire(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        services.alerts_evaluate()
    return Delivery.objects.get(event="fired")


def expected_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_a_fired_alert_is_posted_signed_to_the_webhook_through_the_task(
    admin_user,
    receiver,
    low_balance_alert,
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    _, secret = webhook(admin_user, receiver.url)
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    with django_capture_on_commit_callbacks(execute=True):
        services.alerts_evaluate()
    [request] = receiver.requests
    body = request["body"]
    assert request["headers"]["X-Portal-Signature"] == expected_signature(secret, body)
    assert request["headers"]["X-Portal-Event"] == "fired"
    payload = json.loads(body)
    assert payload["text"].startswith("[FIRING] Balance below threshold — Acme")
    assert payload["alert"]["kind"] == "balance_low"
    assert payload["alert"]["url"].endswith(Alert.objects.get().get_absolute_url())
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_status) == (
        "sent",
        1,
        200,
    )
    assert secret not in json.dumps(delivery.attempt_log)


def test_a_failing_receiver_is_retried_with_backoff_until_it_answers(
    admin_user, receiver, low_balance_alert, django_capture_on_commit_callbacks
):
    webhook(admin_user, receiver.url)
    receiver.statuses = [500, 503, 200]
    delivery = fire(django_capture_on_commit_callbacks)
    now = timezone.now()
    first = services.delivery_send(delivery_id=delivery.pk, now=now)
    assert first.status == "retrying"
    assert first.next_attempt_at == now + dt.timedelta(seconds=60)
    assert services.deliveries_retry(now=now + dt.timedelta(seconds=30))["sent"] == 0
    assert len(receiver.requests) == 1
    second_at = now + dt.timedelta(seconds=61)
    services.deliveries_retry(now=second_at)
    delivery.refresh_from_db()
    assert delivery.next_attempt_at == second_at + dt.timedelta(seconds=300)
    services.deliveries_retry(now=second_at + dt.timedelta(seconds=301))
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 3)
    assert [a["status"] for a in delivery.attempt_log] == [500, 503, 200]
    assert delivery.last_error == ""


def test_four_failures_give_up(
    admin_user, receiver, low_balance_alert, django_capture_on_commit_callbacks
):
    webhook(admin_user, receiver.url)
    receiver.statuses = [500] * 5
    delivery = fire(django_capture_on_commit_callbacks)
    at = timezone.now()
    for _ in range(6):
        services.deliveries_retry(now=at)
        services.delivery_send(delivery_id=delivery.pk, now=at)
        at += dt.timedelta(hours=1)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", deliveries.MAX_ATTEMPTS)
    assert delivery.last_error == "HTTP 500"
    assert len(receiver.requests) == deliveries.MAX_ATTEMPTS


def test_a_client_error_is_not_retried(
    admin_user, receiver, low_balance_alert, django_capture_on_commit_callbacks
):
    webhook(admin_user, receiver.url)
    receiver.statuses = [403]
    delivery = fire(django_capture_on_commit_callbacks)
    result = services.delivery_send(delivery_id=delivery.pk)
    assert (result.status, result.last_error) == ("failed", "HTTP 403")


def test_an_unreachable_receiver_is_a_network_error_to_retry(
    admin_user, receiver, low_balance_alert, django_capture_on_commit_callbacks
):
    webhook(admin_user, receiver.url)
    receiver.stop()
    delivery = fire(django_capture_on_commit_callbacks)
    result = services.delivery_send(delivery_id=delivery.pk)
    assert result.status == "retrying"
    assert result.response_status is None and "Error" in result.last_error


def test_a_url_that_is_no_longer_allowed_fails_at_send_time(
    admin_user,
    receiver,
    low_balance_alert,
    django_capture_on_commit_callbacks,
    settings,
):
    webhook(admin_user, receiver.url)
    delivery = fire(django_capture_on_commit_callbacks)
    settings.ALERT_WEBHOOK_ALLOW_PRIVATE = False
    result = services.delivery_send(delivery_id=delivery.pk)
    assert result.status == "failed"
    assert "loopback" in result.last_error
    assert receiver.requests == []


def test_a_delivery_not_yet_due_is_left_alone(
    admin_user, receiver, low_balance_alert, django_capture_on_commit_callbacks
):
    webhook(admin_user, receiver.url)
    delivery = fire(django_capture_on_commit_callbacks)
    Delivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() + dt.timedelta(minutes=1)
    )
    assert services.delivery_send(delivery_id=delivery.pk) is None
    assert receiver.requests == []


def test_a_claimed_delivery_is_sent_by_one_worker_only(
    admin_user, receiver, low_balance_alert, django_capture_on_commit_callbacks
):
    webhook(admin_user, receiver.url)
    delivery = fire(django_capture_on_commit_callbacks)
    now = timezone.now()
    # A first worker has claimed the delivery and is sending it right now.
    assert deliveries._claim(delivery.pk, now) is not None
    assert services.delivery_send(delivery_id=delivery.pk, now=now) is None
    assert services.deliveries_retry(now=now)["sent"] == 0
    assert receiver.requests == []
    # That worker died: once its claim runs out, the delivery is due again.
    later = now + dt.timedelta(seconds=deliveries.CLAIM_SECONDS + 1)
    assert services.delivery_send(delivery_id=delivery.pk, now=later).status == "sent"
    assert len(receiver.requests) == 1


def test_a_delivery_whose_task_was_lost_is_sent_by_the_sweep(
    admin_user, receiver, low_balance_alert, django_capture_on_commit_callbacks
):
    webhook(admin_user, receiver.url)
    delivery = fire(django_capture_on_commit_callbacks)
    later = delivery.created_at + dt.timedelta(seconds=deliveries.ORPHAN_SECONDS + 1)
    assert services.deliveries_retry(now=delivery.created_at)["sent"] == 0
    assert services.deliveries_retry(now=later)["sent"] == 1
    assert len(receiver.requests) == 1


def test_e_mail_channels_get_the_alert(
    admin_user, low_balance_alert, django_capture_on_commit_callbacks
):
    services.channel_create(
        actor=admin_user,
        name="Ops",
        kind="email",
        email_to="a@example.com, b@example.com",
    )
    delivery = fire(django_capture_on_commit_callbacks)
    assert services.delivery_send(delivery_id=delivery.pk).status == "sent"
    [message] = mail.outbox
    assert message.to == ["a@example.com", "b@example.com"]
    assert message.subject.startswith("[FIRING] Balance below threshold")
    assert "/monitoring/alerts/" in message.body


def test_an_smtp_failure_is_retried(
    admin_user, low_balance_alert, django_capture_on_commit_callbacks, monkeypatch
):
    services.channel_create(
        actor=admin_user, name="Ops", kind="email", email_to="a@example.com"
    )
    delivery = fire(django_capture_on_commit_callbacks)

    def refuse(**kwargs):
        raise smtplib.SMTPServerDisconnected("gone")

    monkeypatch.setattr(deliveries, "send_mail", refuse)
    result = services.delivery_send(delivery_id=delivery.pk)
    assert (result.status, result.last_error) == ("retrying", "SMTPServerDisconnected")


def test_a_disabled_channel_gets_nothing(
    admin_user, receiver, low_balance_alert, django_capture_on_commit_callbacks
):
    channel, _ = webhook(admin_user, receiver.url)
    channel.enabled = False
    channel.save()
    with django_capture_on_commit_callbacks(execute=False):
        services.alerts_evaluate()
    assert Delivery.objects.count() == 0


def test_send_test_posts_a_test_event_once(admin_user, receiver):
    channel, secret = webhook(admin_user, receiver.url)
    delivery = services.channel_send_test(channel=channel)
    assert (delivery.event, delivery.status) == ("test", "sent")
    payload = receiver.json()
    request = receiver.requests[-1]
    assert request["headers"]["X-Portal-Signature"] == expected_signature(
        secret, request["body"]
    )
    assert payload["event"] == "test" and payload["alert"] is None
    assert payload["text"].startswith("[TEST]")


def test_a_failed_test_send_is_logged_and_not_retried(admin_user, receiver):
    channel, _ = webhook(admin_user, receiver.url)
    receiver.statuses = [500]
    delivery = services.channel_send_test(channel=channel)
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (
        "failed",
        1,
        None,
    )
