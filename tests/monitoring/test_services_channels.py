"""Channels: a webhook's secret and URL path stay out of sight, and the service
itself refuses a URL that points inward, whoever calls it."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError

from accounts.models import AuditEvent
from monitoring import services
from monitoring.models import Delivery

pytestmark = pytest.mark.django_db


def webhook(admin_user, url, name="Ops webhook"):
    return services.channel_create(actor=admin_user, name=name, kind="webhook", url=url)


def test_the_secret_and_url_path_stay_out_of_the_audit_log(admin_user, receiver):
    url = receiver.url + "?token=abc123hidden"
    channel, secret = webhook(admin_user, url)
    event = AuditEvent.objects.get(action="alert_channel.create")
    dumped = json.dumps(event.after)
    assert secret not in dumped and "abc123hidden" not in dumped
    port = receiver.server.server_address[1]
    assert channel.url_display == f"https://127.0.0.1:{port}/…"
    url_at_rest, secret_at_rest = (
        value.token
        for value in type(channel)
        .objects.values_list("url", "secret")
        .get(pk=channel.pk)
    )
    assert secret not in secret_at_rest and "abc123hidden" not in url_at_rest


def test_the_service_refuses_an_inward_url_whatever_the_caller(admin_user):
    with pytest.raises(ValidationError) as exc:
        services.channel_create(
            actor=admin_user, name="Inward", kind="webhook", url="https://10.0.0.1/x"
        )
    assert "private" in exc.value.message_dict["url"][0]
    assert not Delivery.objects.exists()
    assert not AuditEvent.objects.filter(action="alert_channel.create").exists()
