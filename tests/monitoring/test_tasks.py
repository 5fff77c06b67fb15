"""The monitoring tasks: beat runs each on schedule, and each runs its service."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from monitoring import tasks
from sync.models import ApiCall
from tests.monitoring.conftest import api_calls

pytestmark = pytest.mark.django_db


def test_the_task_uses_the_configured_retention(provider, settings):
    settings.API_CALL_RETENTION_DAYS = 7
    api_calls(provider, 2, at=timezone.now() - dt.timedelta(days=8))
    api_calls(provider, 1)
    assert tasks.apicalls_prune.run() == 2
    assert ApiCall.objects.count() == 1


@pytest.mark.parametrize(
    ("entry", "task", "every"),
    [
        ("alerts-evaluate", "monitoring.tasks.alerts_evaluate", 60),
        ("alert-deliveries-retry", "monitoring.tasks.deliveries_retry", 60),
        ("api-calls-prune", "monitoring.tasks.apicalls_prune", 24 * 3600),
        ("history-prune", "monitoring.tasks.history_prune", 24 * 3600),
        ("synthetic-call", "monitoring.tasks.synthetic_call", 15 * 60),
    ],
)
def test_beat_runs_monitoring_on_schedule(entry, task, every):
    scheduled = django_settings.CELERY_BEAT_SCHEDULE[entry]
    assert scheduled["task"] == task and scheduled["schedule"] == every


def test_the_beat_task_names_exist():
    from portal.celery import app

    app.loader.import_default_modules()
    for entry in django_settings.CELERY_BEAT_SCHEDULE.values():
        if str(entry["task"]).startswith("monitoring."):
            assert entry["task"] in app.tasks


def test_the_evaluation_task_evaluates(provider):
    assert set(tasks.alerts_evaluate.run()) >= {"fired", "resolved", "suppressed"}
