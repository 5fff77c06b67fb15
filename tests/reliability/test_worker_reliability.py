"""The sync under a real Celery worker: killed mid-run, delivered twice, a 5xx storm,
and a 429 with Retry-After. Real Redis, real PostgreSQL, the real simulator."""

from __future__ import annotations

import datetime as dt
import time

import pytest
import requests
from django.db.models import Count, Sum
from django.db.models.functions import TruncDate

from accounts.sync import sub_accounts_sync
from billing import tasks as billing_tasks
from billing.models import BalanceSnapshot, Cdr, CdrDailyRollup
from sync.clients import breaker_for
from sync.models import ApiCall, SyncState
from tests.reliability.conftest import wait_for

# A fast worker for tests: short lease and visibility timeout, small task slices.
FAST = {
    "SYNC_LEASE_SECONDS": "10",
    "CELERY_VISIBILITY_TIMEOUT": "25",
    "CELERY_TASK_TIME_LIMIT": "20",
    "CDR_SYNC_BUDGET_SECONDS": "4",
    "CDR_EXPORT_THRESHOLD_DAYS": "3",
    "SYNC_RETRY_BASE_SECONDS": "1",
}


def remote_total(sim, provider, since, until):
    response = requests.get(
        f"{sim.base_url}/Account/{provider.auth_id}/cdr",
        params={"start_date": since.isoformat(), "end_date": until.isoformat(),
                "per_page": 1},
        headers=sim.auth_headers(), verify=sim.ca_bundle, timeout=30,
    )  # fmt: skip
    response.raise_for_status()
    return response.json()["pagination"]["total"]


def rollups_equal_raw(provider):
    raw = dict(
        Cdr.objects.filter(provider_account=provider)
        .annotate(day=TruncDate("start_time", tzinfo=dt.UTC))
        .values("day").annotate(n=Count("id")).order_by().values_list("day", "n")
    )  # fmt: skip
    rolled = dict(
        CdrDailyRollup.objects.filter(provider_account=provider)
        .values("day").annotate(n=Sum("calls")).order_by().values_list("day", "n")
    )  # fmt: skip
    return raw == rolled


def cdr_state(provider):
    return SyncState.objects.filter(provider_account=provider, kind="cdrs").first()


def test_killed_worker_loses_and_duplicates_nothing(sim, sim_provider, start_worker):
    today = dt.datetime.now(dt.UTC).date()
    since = today - dt.timedelta(days=10)
    sim.control.seed_cdrs(
        100_000,
        start=f"{since}T00:00:00Z",
        end=f"{today - dt.timedelta(days=1)}T23:00:00Z",
    )
    sub_accounts_sync(provider=sim_provider)
    expected = remote_total(sim, sim_provider, since, today)
    assert expected >= 100_000

    worker = start_worker(**FAST)
    killed_at = time.time()
    billing_tasks.cdrs_sync.delay(sim_provider.pk, since.isoformat())
    wait_for(lambda: Cdr.objects.count() > 15_000, 120, what="the sync to be under way")
    worker.kill()
    at_kill = Cdr.objects.count()
    assert 0 < at_kill < expected

    start_worker(**FAST)  # the unacknowledged task is delivered again

    def done():
        state = cdr_state(sim_provider)
        return (
            Cdr.objects.count() == expected
            and state.last_success_at is not None
            and state.last_success_at.timestamp() > killed_at
            and not state.last_summary.get("resume_from")
        )

    wait_for(done, 240, interval=1, what="the sync to finish after the restart")
    assert Cdr.objects.values("uuid").distinct().count() == expected
    assert rollups_equal_raw(sim_provider)
    assert cdr_state(sim_provider).watermark == today - dt.timedelta(days=1)


def test_the_same_task_delivered_twice_at_once_has_one_effect(
    sim, sim_provider, start_worker
):
    sim.control.latency(ms=2000, path_prefix="/api/v1/account")
    start_worker(concurrency=2, **FAST)
    billing_tasks.balance_snapshot.delay(sim_provider.pk)
    billing_tasks.balance_snapshot.delay(sim_provider.pk)
    wait_for(lambda: BalanceSnapshot.objects.exists(), 60, what="a snapshot")
    time.sleep(4)  # long enough for the second delivery to have run
    assert BalanceSnapshot.objects.count() == 1


def test_a_5xx_storm_opens_the_breaker_and_the_sync_completes_after(
    sim, sim_provider, start_worker
):
    sim.control.error_rate(1.0, statuses=[503], path_prefix="/api/v1/")
    start_worker(VOBIZ_BREAKER_OPEN_SECONDS="8", **FAST)
    breaker = breaker_for(sim_provider)
    billing_tasks.balance_snapshot.delay(sim_provider.pk)

    wait_for(breaker.is_open, 90, interval=0.1, what="the breaker to open")
    sim.control.reset_counters()
    time.sleep(4)  # inside the open window: the worker must send nothing
    assert sim.control.counters()["requests"] == 0
    sim.control.reset_faults()
    wait_for(lambda: BalanceSnapshot.objects.exists(), 120, what="the retried sync")
    assert breaker.state()["state"] == "closed"


def test_a_429_is_honoured_before_the_sync_completes(sim, sim_provider, start_worker):
    """Retry-After: 30 from Vobiz: the worker sends nothing for 30 s, then succeeds.

    Real time here (the worker is another process); tests/portal/test_tasks.py
    has the same on a simulated clock. The visibility timeout is raised so the
    broker holds the retried task for its whole countdown.
    """
    sim.control.rate_limit(retry_after=30, count=1, path_prefix="/api/v1/account")
    start_worker(**{**FAST, "CELERY_VISIBILITY_TIMEOUT": "90"})
    sim.control.reset_counters()
    billing_tasks.balance_snapshot.delay(sim_provider.pk)
    wait_for(lambda: sim.control.counters()["requests"] >= 1, 30, what="first try")
    wait_for(lambda: BalanceSnapshot.objects.exists(), 90, what="the retried sync")
    assert sim.control.counters()["requests"] == 2
    calls = list(
        ApiCall.objects.filter(path_template__contains="/balance/")
        .order_by("created_at")
        .values_list("created_at", "status")
    )
    assert [status for _, status in calls] == [429, 200]
    assert (calls[1][0] - calls[0][0]).total_seconds() >= 30


@pytest.fixture(autouse=True)
def _stop_faults(sim):
    yield
    sim.control.reset_faults()
