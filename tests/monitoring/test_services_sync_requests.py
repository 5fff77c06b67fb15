"""Syncs on demand: the request queues the sync once and is audited, doubles and
bad requests are refused, and the tasks it sends report their progress."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import AuditEvent
from monitoring import services
from sync import requests
from sync.registry import BY_NAME
from sync.runs import progress_key, queued_key, sync_run
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


# --- the tasks a request sends (billing's and sync's side of the feature) ------


def test_the_cdr_sync_reports_each_day(sim, sim_provider, monkeypatch):
    from billing import sync as billing_sync

    seen = []
    original = billing_sync._sync_day

    def spy(provider, day, owners, run, *, use_export):
        seen.append(cache.get(progress_key(provider.pk, "cdrs")))
        return original(provider, day, owners, run, use_export=use_export)

    monkeypatch.setattr(billing_sync, "_sync_day", spy)
    billing_sync.cdrs_sync(provider=sim_provider, since=today() - dt.timedelta(days=2))
    assert [p["done"] for p in seen] == [0, 1, 2]
    assert seen[0]["rows"] == 0 and seen[-1]["rows"] > 0 and seen[0]["days"] == 3
    assert cache.get(progress_key(sim_provider.pk, "cdrs")) is None


def test_a_backfill_slice_that_queues_the_next_shows_it_queued(provider, monkeypatch):
    from billing import tasks as billing_tasks

    def one_slice(*, provider, since=None, budget_seconds=None):
        return {"rows": 10, "resume_from": "2026-11-20"}

    queued = []
    monkeypatch.setattr(billing_tasks.sync, "cdrs_sync", one_slice)
    monkeypatch.setattr(billing_tasks.cdrs_sync, "delay", lambda *a: queued.append(a))
    billing_tasks.cdrs_sync.run(provider.pk)
    assert queued == [(provider.pk, "2026-11-20")]
    assert cache.get(queued_key(provider.pk, "cdrs")) is not None


@pytest.mark.parametrize("kind", ["cdrs", "rollups", "balance"])
def test_the_task_gets_the_first_day_as_text_when_there_is_one(
    provider, monkeypatch, kind
):
    from django.utils.module_loading import import_string

    task = import_string(BY_NAME[kind].task)
    calls = []
    monkeypatch.setattr(task, "delay", lambda *args: calls.append(args))
    since = today() - dt.timedelta(days=5) if kind != "balance" else None
    requests._send(BY_NAME[kind].task, provider.pk, since)
    assert calls == [(provider.pk, since.isoformat()) if since else (provider.pk,)]


def test_the_rollup_task_checks_from_the_day_it_is_given(provider, monkeypatch):
    from billing import tasks as billing_tasks

    seen = []
    monkeypatch.setattr(
        billing_tasks.sync, "rollups_check", lambda **kw: seen.append(kw) or {}
    )
    billing_tasks.rollups_check.run(provider.pk, "2026-10-01")
    billing_tasks.rollups_check.run(provider.pk)
    assert [kw["since"] for kw in seen] == [dt.date(2026, 10, 1), None]
