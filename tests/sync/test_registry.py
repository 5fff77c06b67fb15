"""The one registry of sync kinds drives everything, and beat names real tasks."""

from __future__ import annotations

import inspect
import io

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.utils.module_loading import import_string

from monitoring.forms import SyncRequestForm
from portal.celery import app
from sync.management.commands.sync_vobiz import Command as SyncCommand
from sync.models import SyncKind, SyncState
from sync.registry import KINDS, beat_schedule

NAMES = [kind.name for kind in KINDS]

# Every periodic job beat must run, by entry name: removing one fails here.
EXPECTED_BEAT = {
    "sub-accounts": "accounts.tasks.sub_accounts_sync",
    "trunks": "trunks.tasks.trunks_sync",
    "numbers": "phone_numbers.tasks.numbers_sync",
    "balance": "billing.tasks.balance_snapshot",
    "transactions": "billing.tasks.transactions_sync",
    "cdrs": "billing.tasks.cdrs_sync",
    "rollups-check": "billing.tasks.rollups_check",
    "credential-reminders": "credentials.tasks.rotation_reminders_send",
    "number-requests-resume": "phone_numbers.tasks.number_requests_resume",
    "alerts-evaluate": "monitoring.tasks.alerts_evaluate",
    "alert-deliveries-retry": "monitoring.tasks.deliveries_retry",
    "api-calls-prune": "monitoring.tasks.apicalls_prune",
    "history-prune": "monitoring.tasks.history_prune",
    "synthetic-call": "monitoring.tasks.synthetic_call",
}


@pytest.fixture(scope="module")
def registered() -> set[str]:
    app.loader.import_default_modules()
    return set(app.tasks)


def test_every_beat_entry_names_a_registered_task(registered):
    schedule = django_settings.CELERY_BEAT_SCHEDULE
    missing = {e["task"] for e in schedule.values()} - registered
    assert not missing


@pytest.mark.parametrize(("entry", "task"), sorted(EXPECTED_BEAT.items()))
def test_beat_runs_each_periodic_job(entry, task, registered):
    assert django_settings.CELERY_BEAT_SCHEDULE[entry]["task"] == task
    assert task in registered


def test_beat_has_an_entry_for_every_sync_kind_and_nothing_twice():
    schedule = django_settings.CELERY_BEAT_SCHEDULE
    for name, entry in beat_schedule().items():
        assert schedule[name] == entry
    tasks = [entry["task"] for entry in schedule.values()]
    assert len(tasks) == len(set(tasks))


@pytest.mark.parametrize("kind", KINDS, ids=NAMES)
def test_each_kind_names_a_service_and_a_task_that_exist(kind, registered):
    service = import_string(kind.service)
    assert "provider" in inspect.signature(service).parameters
    assert ("since" in inspect.signature(service).parameters) == kind.takes_since
    assert kind.task in registered


def test_the_choices_the_command_and_the_form_all_come_from_the_registry():
    assert [value for value, _ in SyncKind.choices] == NAMES
    assert SyncState._meta.get_field("kind").choices == SyncKind.choices
    parser = SyncCommand().create_parser("manage.py", "sync_vobiz")
    only = next(a for a in parser._actions if a.dest == "only")
    assert sorted(only.choices) == sorted(NAMES)
    form_kinds = [value for value, _ in SyncRequestForm().fields["kind"].choices]
    assert form_kinds == NAMES


@pytest.mark.django_db
def test_the_command_refuses_an_unknown_kind_and_changes_nothing():
    with pytest.raises(CommandError, match="invalid choice: 'everything'"):
        call_command("sync_vobiz", "--only", "everything", stderr=io.StringIO())
    assert not SyncState.objects.exists()
