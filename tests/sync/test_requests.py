"""Syncs on demand: the task each kind sends, with its first day as text."""

from __future__ import annotations

import datetime as dt

import pytest

from core.dates import today_utc as today
from sync import requests
from sync.registry import BY_NAME

pytestmark = pytest.mark.django_db


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
