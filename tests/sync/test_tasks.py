"""How sync tasks wait before a retry: Retry-After, the breaker, backoff, caps."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
import time_machine

from billing.models import BalanceSnapshot
from billing.sync import balance_snapshot
from sync.clients import breaker_for
from sync.models import ApiCall
from sync.tasks import BACKOFF_CAP, countdown_for, longest_countdown, run_sync
from vobiz.errors import NotFound, RateLimited, ServerError

pytestmark = pytest.mark.django_db


class Retry(Exception):
    """What `Task.retry` raises; carries the countdown it was asked for."""

    def __init__(self, countdown: float) -> None:
        super().__init__(countdown)
        self.countdown = countdown


class ScheduledTask:
    """Stands in for a bound Celery task: `retry` hands the countdown back."""

    def __init__(self) -> None:
        self.request = SimpleNamespace(retries=0)
        self.countdowns: list[float] = []

    def retry(self, *, exc, countdown):
        self.countdowns.append(countdown)
        return Retry(countdown)


def test_retry_after_wins_over_the_backoff(provider, settings):
    settings.SYNC_RETRY_BASE_SECONDS = 1
    limited = RateLimited("slow down", retry_after=30, status=429)
    assert countdown_for(limited, 0, provider) == 30


def test_a_retry_after_longer_than_the_broker_holds_a_task_is_cut(provider, settings):
    settings.CELERY_VISIBILITY_TIMEOUT = 3600
    limited = RateLimited("slow down", retry_after=7200, status=429)
    assert countdown_for(limited, 0, provider) == longest_countdown() == 1800


def test_without_retry_after_the_wait_doubles_up_to_the_cap(provider, settings):
    settings.SYNC_RETRY_BASE_SECONDS = 30
    error = ServerError("boom", status=503)
    assert [countdown_for(error, n, provider) for n in range(6)] == [
        30,
        60,
        120,
        240,
        480,
        BACKOFF_CAP,
    ]


def test_an_open_breaker_makes_the_retry_wait_for_it(provider, settings):
    settings.SYNC_RETRY_BASE_SECONDS = 1
    settings.VOBIZ_BREAKER_OPEN_SECONDS = 40
    breaker = breaker_for(provider)
    for _ in range(settings.VOBIZ_BREAKER_FAILURES):
        breaker.record_failure(False)
    assert breaker.is_open()
    wait = countdown_for(ServerError("boom", status=503), 0, provider)
    assert 39 <= wait <= 41


def test_a_permanent_error_is_not_retried(provider):
    task = ScheduledTask()

    def refuse(*, provider):
        raise NotFound("no such account", status=404)

    with pytest.raises(NotFound):
        run_sync(task, refuse, provider.pk)
    assert task.countdowns == []


def test_a_429_with_retry_after_30_is_waited_out_on_a_simulated_clock(
    sim, sim_provider, settings
):
    """The task is only run again when the countdown has passed, as the broker does.

    The clock is simulated for the whole process: the portal, its API call log and
    the simulator (running in a thread here) all read it.
    """
    settings.SYNC_RETRY_BASE_SECONDS = 1  # so a 30 can only come from Retry-After
    sim.control.rate_limit(retry_after=30, count=1, path_prefix="/api/v1/account")
    task = ScheduledTask()
    start = dt.datetime.now(dt.UTC).replace(microsecond=0)
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(5):
            try:
                run_sync(task, balance_snapshot, sim_provider.pk)
                break
            except Retry as retry:
                clock.shift(retry.countdown)
                task.request.retries += 1
    assert task.countdowns == [30]
    calls = list(
        ApiCall.objects.filter(path_template__contains="/balance/")
        .order_by("created_at")
        .values_list("created_at", "status")
    )
    assert [status for _, status in calls] == [429, 200]
    assert calls[1][0] - calls[0][0] >= dt.timedelta(seconds=30)
    assert BalanceSnapshot.objects.filter(provider_account=sim_provider).count() == 1
