"""The billing tasks the syncs-on-demand send: progress, slices, first days."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache

from core.dates import today_utc as today
from sync.registry import BY_NAME
from sync.runs import lease_key, progress_key, queued_key

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clean_sync_keys(provider):
    """Forget the queued marks, progress and leases of the provider's syncs."""
    keys = [key(provider.pk, k) for key in (queued_key, progress_key) for k in BY_NAME]
    keys += [lease_key(provider, kind) for kind in BY_NAME]
    cache.delete_many(keys)
    yield
    cache.delete_many(keys)


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


def test_the_rollup_task_checks_from_the_day_it_is_given(provider, monkeypatch):
    from billing import tasks as billing_tasks

    seen = []
    monkeypatch.setattr(
        billing_tasks.sync, "rollups_check", lambda **kw: seen.append(kw) or {}
    )
    billing_tasks.rollups_check.run(provider.pk, "2026-10-01")
    billing_tasks.rollups_check.run(provider.pk)
    assert [kw["since"] for kw in seen] == [dt.date(2026, 10, 1), None]
