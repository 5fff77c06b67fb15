"""Syncs on demand: the request queues the sync once and is audited, doubles and
bad requests are refused, and the tasks it sends report their progress."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import AuditEvent
from monitoring import services
from sync.runs import queued_key, sync_run
from tests.monitoring.conftest import today

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clean_sync_keys")]


def test_a_request_queues_the_task_after_commit_and_is_audited(
    provider, admin_user, sent, django_capture_on_commit_callbacks
):
    since = today() - dt.timedelta(days=60)
    with django_capture_on_commit_callbacks(execute=True):
        message = services.sync_request(
            actor=admin_user, provider=provider, kind="cdrs", since=since
        )
    assert sent == [(provider.pk, "cdrs", since)]
    assert "queued" in message
    event = AuditEvent.objects.get(action="sync.requested")
    assert event.after == {"kind": "cdrs", "since": since.isoformat()}
    with pytest.raises(ValidationError, match="already queued"):
        services.sync_request(actor=admin_user, provider=provider, kind="cdrs")


def test_a_running_sync_is_not_queued_again(provider, admin_user, sent):
    with sync_run(provider, "balance"), pytest.raises(ValidationError, match="running"):
        services.sync_request(actor=admin_user, provider=provider, kind="balance")
    assert sent == []


@pytest.mark.parametrize(
    ("kind", "since", "message"),
    [
        ("everything", None, "no such sync"),
        ("balance", -3, "Only call records"),
        ("cdrs", 2, "in the future"),
        ("cdrs", -401, "within the last 400 days"),
    ],
)
def test_bad_requests_are_refused_and_change_nothing(
    provider, admin_user, sent, kind, since, message
):
    day = today() + dt.timedelta(days=since) if since is not None else None
    with pytest.raises(ValidationError, match=message):
        services.sync_request(actor=admin_user, provider=provider, kind=kind, since=day)
    assert sent == [] and not AuditEvent.objects.filter(action="sync.requested")
    assert cache.get(queued_key(provider.pk, kind)) is None


def test_only_admins_may_ask(provider, finance_user, sent):
    with pytest.raises(PermissionDenied):
        services.sync_request(actor=finance_user, provider=provider, kind="balance")


def test_a_started_run_clears_its_queued_mark(provider, admin_user, sent):
    services.sync_request(actor=admin_user, provider=provider, kind="balance")
    assert cache.get(queued_key(provider.pk, "balance")) is not None
    with sync_run(provider, "balance"):
        assert cache.get(queued_key(provider.pk, "balance")) is None
