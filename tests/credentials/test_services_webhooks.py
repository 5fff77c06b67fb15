"""Webhook signing secret rotation: during the overlap window deliveries carry
both signatures and a receiver holding either secret verifies them; after the
window only the new one is sent and the old secret no longer verifies."""

from __future__ import annotations

import datetime as dt

import pytest

from accounts.models import AuditEvent
from credentials import services
from credentials.choices import RotationState, SecretKind
from credentials.models import RotationRecord
from monitoring import services as monitoring_services
from monitoring.models import NotificationChannel
from monitoring.services.webhooks import (
    PREVIOUS_SIGNATURE_HEADER,
    SIGNATURE_HEADER,
    verify,
    verify_any,
)

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def hook(admin_user, receiver):
    channel, secret = monitoring_services.channel_create(
        actor=admin_user, name="On-call hook", kind="webhook", url=receiver.url
    )
    return channel, secret


def send_test(channel):
    channel = NotificationChannel.objects.get(pk=channel.pk)
    delivery = monitoring_services.channel_send_test(channel=channel)
    assert delivery.status == "sent"


def last(receiver):
    request = receiver.requests[-1]
    return request["headers"], request["body"]


def test_both_signatures_verify_during_the_window_and_only_the_new_after(
    hook, admin_user, receiver, time_machine, settings
):
    settings.WEBHOOK_SECRET_OVERLAP_HOURS = 24
    channel, old = hook
    time_machine.move_to(T0, tick=False)
    new = services.channel_secret_rotate(actor=admin_user, channel=channel).secret
    assert new != old

    time_machine.move_to(T0 + dt.timedelta(hours=23), tick=False)
    send_test(channel)
    headers, body = last(receiver)
    assert verify(new, body, headers[SIGNATURE_HEADER])
    assert verify(old, body, headers[PREVIOUS_SIGNATURE_HEADER])
    # A receiver not yet switched and one already switched both accept it.
    assert verify_any(old, body, headers) and verify_any(new, body, headers)

    time_machine.move_to(T0 + dt.timedelta(hours=24, minutes=1), tick=False)
    send_test(channel)
    headers, body = last(receiver)
    assert PREVIOUS_SIGNATURE_HEADER not in headers
    assert verify_any(new, body, headers)
    assert not verify_any(old, body, headers)


def test_before_any_rotation_only_one_signature_is_sent(hook, receiver):
    channel, secret = hook
    send_test(channel)
    headers, body = last(receiver)
    assert PREVIOUS_SIGNATURE_HEADER not in headers
    assert verify_any(secret, body, headers)


def test_ending_the_overlap_stops_the_old_signature_at_once(hook, admin_user, receiver):
    channel, old = hook
    services.channel_secret_rotate(actor=admin_user, channel=channel)
    services.channel_overlap_end(actor=admin_user, channel=channel)
    send_test(channel)
    headers, body = last(receiver)
    assert PREVIOUS_SIGNATURE_HEADER not in headers
    assert not verify_any(old, body, headers)
    assert AuditEvent.objects.filter(action="credential.overlap_ended")


def test_a_second_rotation_in_the_window_drops_the_oldest_secret(
    hook, admin_user, receiver
):
    channel, first = hook
    second = services.channel_secret_rotate(actor=admin_user, channel=channel).secret
    third = services.channel_secret_rotate(actor=admin_user, channel=channel).secret
    send_test(channel)
    headers, body = last(receiver)
    assert verify(third, body, headers[SIGNATURE_HEADER])
    assert verify(second, body, headers[PREVIOUS_SIGNATURE_HEADER])
    assert not verify_any(first, body, headers)


def test_the_rotation_is_recorded_with_its_actor(hook, admin_user):
    channel, _ = hook
    services.channel_secret_rotate(actor=admin_user, channel=channel)
    record = RotationRecord.objects.get(kind=SecretKind.WEBHOOK_SECRET)
    assert (record.state, record.actor) == (RotationState.DONE, admin_user)
    stored = NotificationChannel.objects.get(pk=channel.pk)
    assert stored.secret_rotated_at is not None


def test_an_email_channel_has_no_secret_to_rotate(admin_user):
    channel, _ = monitoring_services.channel_create(
        actor=admin_user, name="Ops", kind="email", email_to="ops@example.com"
    )
    with pytest.raises(Exception, match="no signing secret"):
        services.channel_secret_rotate(actor=admin_user, channel=channel)
