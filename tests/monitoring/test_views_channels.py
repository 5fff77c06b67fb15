"""Channel pages (secret shown once, URL validation, send test, delete) and the
delivery log."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from monitoring.models import Delivery, NotificationChannel
from tests.conftest import MAX_LIST_QUERIES, count_queries

pytestmark = pytest.mark.django_db

LIST = reverse("monitoring:channel_list")
CREATE = reverse("monitoring:channel_create")
DELIVERIES = reverse("monitoring:delivery_list")
SYNTHETIC = reverse("monitoring:synthetic_list")


def url(name, channel):
    return reverse(f"monitoring:{name}", args=[channel.pk])


@pytest.fixture
def email_channel(db):
    return NotificationChannel.objects.create(
        name="Ops list", kind="email", email_to="ops@example.com"
    )


@pytest.mark.parametrize("persona", ["as_finance", "as_lead_a"])
def test_only_admins_manage_channels(persona, request, email_channel):
    client = request.getfixturevalue(persona)
    for target in (
        LIST,
        CREATE,
        DELIVERIES,
        SYNTHETIC,
        url("channel_edit", email_channel),
    ):
        assert client.get(target).status_code == 403, target
    assert client.post(url("channel_test", email_channel)).status_code == 403
    assert (
        client.post(url("channel_delete", email_channel), {"confirm": "on"}).status_code
        == 403
    )
    assert NotificationChannel.objects.filter(pk=email_channel.pk).exists()
    assert mail.outbox == []


@pytest.mark.parametrize("name", ["channel_edit", "channel_delete", "channel_test"])
def test_an_unknown_channel_is_404(as_admin, name):
    ghost = NotificationChannel(pk=999999)
    method = as_admin.post if name == "channel_test" else as_admin.get
    assert method(url(name, ghost)).status_code == 404


def test_adding_an_email_channel(as_admin, admin_user):
    response = as_admin.post(
        CREATE,
        {
            "kind": "email",
            "name": "Finance",
            "email_to": "A@Example.com; b@example.com",
            "enabled": "on",
        },
    )
    assert response.status_code == 302
    channel = NotificationChannel.objects.get(name="Finance")
    assert channel.recipients == ["a@example.com", "b@example.com"]
    assert not channel.secret
    assert AuditEvent.objects.filter(action="alert_channel.create", actor=admin_user)


def test_a_new_webhook_shows_its_secret_once(as_admin, settings):
    settings.ALERT_WEBHOOK_ALLOW_PRIVATE = True
    response = as_admin.post(
        CREATE,
        {
            "kind": "webhook",
            "name": "Slack",
            "url": "https://127.0.0.1:9/hook",
            "enabled": "on",
        },
    )
    assert response.status_code == 200
    secret = response.context["secret"]
    channel = NotificationChannel.objects.get(name="Slack")
    assert channel.secret.reveal() == secret and len(secret) >= 40
    assert secret.encode() in response.content
    assert b"This is the only time it is shown" in response.content
    assert "no-store" in response["Cache-Control"]
    for page in (LIST, url("channel_edit", channel), DELIVERIES):
        assert secret.encode() not in as_admin.get(page).content
    assert b"/hook" not in as_admin.get(LIST).content


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"kind": "webhook", "url": "http://hooks.example.com/x"}, "url", "https://"),
        ({"kind": "webhook", "url": "https://127.0.0.1/x"}, "url", "loopback"),
        ({"kind": "webhook", "url": "https://169.254.169.254/x"}, "url", "link-local"),
        ({"kind": "webhook", "url": "https://10.1.1.1/x"}, "url", "private"),
        ({"kind": "webhook", "url": ""}, "url", "Enter the webhook URL"),
        ({"kind": "email", "email_to": ""}, "email_to", "at least one"),
        (
            {"kind": "email", "email_to": "ops@example.com, nope"},
            "email_to",
            "nope is not",
        ),
        (
            {"kind": "email", "email_to": ",".join(f"u{i}@x.io" for i in range(21))},
            "email_to",
            "at most 20",
        ),
        (
            {"kind": "email", "email_to": "a@x.io", "name": "ops LIST"},
            "name",
            "already",
        ),
        ({"kind": "sms", "email_to": "a@x.io"}, "kind", "valid choice"),
    ],
)
def test_bad_input_gets_a_field_error_and_adds_nothing(
    as_admin, email_channel, data, field, message
):
    response = as_admin.post(CREATE, {"name": "New", "enabled": "on", **data})
    assert response.status_code == 200
    errors = response.context["form"].errors[field]
    assert any(message in e for e in errors), errors
    assert NotificationChannel.objects.count() == 1


def test_an_invalid_htmx_post_re_renders_only_the_form(as_admin, htmx_headers):
    response = as_admin.post(
        CREATE,
        {"kind": "webhook", "name": "X", "url": "http://a.example.com"},
        **htmx_headers,
    )
    assert b"<html" not in response.content and b"https://" in response.content


def test_editing_keeps_the_url_when_left_empty(as_admin, settings):
    settings.ALERT_WEBHOOK_ALLOW_PRIVATE = True
    channel = NotificationChannel.objects.create(
        name="Hook",
        kind="webhook",
        url="https://127.0.0.1:9/a",
        url_display="https://127.0.0.1:9/…",
        secret="s" * 32,
    )
    response = as_admin.post(url("channel_edit", channel), {"name": "Hook 2"})
    assert response.status_code == 302
    channel.refresh_from_db()
    assert (channel.name, channel.enabled, channel.url.reveal()) == (
        "Hook 2",
        False,
        "https://127.0.0.1:9/a",
    )
    as_admin.post(
        url("channel_edit", channel),
        {"name": "Hook 2", "enabled": "on", "url": "https://127.0.0.1:9/b"},
    )
    channel.refresh_from_db()
    assert channel.url.reveal() == "https://127.0.0.1:9/b" and channel.enabled
    assert AuditEvent.objects.filter(action="alert_channel.update").count() == 2


def test_editing_refuses_a_private_url_and_changes_nothing(as_admin, settings):
    channel = NotificationChannel.objects.create(
        name="Hook", kind="webhook", url="https://hooks.example.com/a", secret="s" * 32
    )
    response = as_admin.post(
        url("channel_edit", channel), {"name": "Hook", "url": "https://192.168.0.10/x"}
    )
    assert response.status_code == 200 and response.context["form"].errors["url"]
    channel.refresh_from_db()
    assert channel.url.reveal() == "https://hooks.example.com/a"


def test_send_test_reports_success(as_admin, email_channel):
    response = as_admin.post(url("channel_test", email_channel), follow=True)
    assert "Test sent to “Ops list”" in response.content.decode()
    assert len(mail.outbox) == 1 and mail.outbox[0].subject.startswith("[TEST]")
    assert Delivery.objects.get().event == "test"


def test_send_test_reports_failure(as_admin, settings):
    settings.ALERT_WEBHOOK_ALLOW_PRIVATE = True
    channel = NotificationChannel.objects.create(
        name="Dead", kind="webhook", url="https://127.0.0.1:9/x", secret="s" * 32
    )
    response = as_admin.post(url("channel_test", channel), follow=True)
    assert "Test to “Dead” failed: ConnectionError" in response.content.decode()
    assert Delivery.objects.get().status == "failed"


def test_send_test_needs_post(as_admin, email_channel):
    assert as_admin.get(url("channel_test", email_channel)).status_code == 405


def test_deleting_needs_confirmation(as_admin, email_channel):
    page = as_admin.get(url("channel_delete", email_channel))
    assert b"delivery log is deleted" in page.content
    as_admin.post(url("channel_delete", email_channel), {})
    assert NotificationChannel.objects.filter(pk=email_channel.pk).exists()
    response = as_admin.post(url("channel_delete", email_channel), {"confirm": "on"})
    assert response.status_code == 302
    assert not NotificationChannel.objects.filter(pk=email_channel.pk).exists()
    assert AuditEvent.objects.filter(action="alert_channel.delete").exists()


def test_channel_list_htmx_gets_only_rows(as_admin, email_channel, htmx_headers):
    response = as_admin.get(LIST, **htmx_headers)
    assert b"<html" not in response.content and b"Ops list" in response.content
    assert b"<html" in as_admin.get(LIST).content


def test_channel_list_query_count_is_flat(as_admin, email_channel):
    small = count_queries(lambda: as_admin.get(LIST))
    for n in range(12):
        NotificationChannel.objects.create(
            name=f"C{n}", kind="email", email_to="a@x.io"
        )
    big = count_queries(lambda: as_admin.get(LIST))
    assert small == big <= MAX_LIST_QUERIES


# --- delivery log -------------------------------------------------------------


def delivery(channel, status="sent", n=0, **fields):
    return Delivery.objects.create(
        channel=channel,
        event="test",
        status=status,
        created_at=timezone.now() - dt.timedelta(minutes=n),
        **fields,
    )


def test_the_delivery_log_shows_errors_and_retries(as_admin, email_channel):
    delivery(
        email_channel,
        status="retrying",
        attempts=2,
        last_error="HTTP 503",
        next_attempt_at=timezone.now() + dt.timedelta(minutes=5),
        attempt_log=[
            {"at": "2026-06-15T10:00:00", "status": 500, "error": "HTTP 500", "ms": 12},
            {"at": "2026-06-15T10:01:00", "status": 503, "error": "HTTP 503", "ms": 9},
        ],
    )
    page = as_admin.get(DELIVERIES).content.decode()
    assert "Retrying" in page and "HTTP 503" in page and "2 attempts" in page
    assert "HTTP 500" in page


def test_the_delivery_log_filters_by_status(as_admin, email_channel):
    delivery(email_channel, status="sent")
    delivery(email_channel, status="failed", n=1)
    items = as_admin.get(DELIVERIES, {"status": "failed"}).context["page"].items
    assert [d.status for d in items] == ["failed"]


def test_the_delivery_log_htmx_gets_only_rows(as_admin, email_channel, htmx_headers):
    delivery(email_channel)
    response = as_admin.get(DELIVERIES, **htmx_headers)
    assert b"<html" not in response.content and b"Ops list" in response.content


def test_the_delivery_log_query_count_is_flat(as_admin, email_channel):
    delivery(email_channel)
    small = count_queries(lambda: as_admin.get(DELIVERIES))
    other = NotificationChannel.objects.create(
        name="Two", kind="email", email_to="a@x.io"
    )
    for n in range(1, 30):
        delivery(other if n % 2 else email_channel, n=n)
    big = count_queries(lambda: as_admin.get(DELIVERIES))
    assert small == big <= MAX_LIST_QUERIES
