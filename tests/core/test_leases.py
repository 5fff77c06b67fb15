"""One worker at a time: row leases and cache leases."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.utils import timezone

from core.leases import CacheLease, LeaseLost, row_claim, row_release
from tests.factories import SubAccountFactory
from tests.trunks.factories import TrunkFactory
from trunks.models import RotationJob


@pytest.fixture
def job(db):
    trunk = TrunkFactory(sub_account=SubAccountFactory())
    return RotationJob.objects.create(
        trunk=trunk, new_username="user9999", new_password="a-new-password-123"
    )


def rows(job):
    return RotationJob.objects.filter(pk=job.pk)


def test_a_free_row_is_taken_once_and_not_again_while_held(job):
    assert row_claim(rows(job), seconds=60) == 1
    assert row_claim(rows(job), seconds=60) == 0
    job.refresh_from_db()
    assert job.locked_until > timezone.now() + dt.timedelta(seconds=50)


def test_an_expired_lease_can_be_taken_over(job):
    past = timezone.now() - dt.timedelta(seconds=1)
    rows(job).update(locked_until=past)
    assert row_claim(rows(job), seconds=60) == 1


def test_a_released_row_is_free_again(job):
    row_claim(rows(job), seconds=60)
    assert row_release(rows(job)) == 1
    assert row_claim(rows(job), seconds=60) == 1


def test_with_a_token_only_the_holder_renews_or_releases(job):
    # RotationJob has no token column: new_username stands in for one here.
    mine = {"token_field": "new_username", "token": "worker-a"}
    theirs = {"token_field": "new_username", "token": "worker-b"}
    assert row_claim(rows(job), seconds=60, **mine) == 1
    assert row_claim(rows(job), seconds=60, **theirs) == 0
    assert row_claim(rows(job), seconds=60, **mine) == 1  # renewal
    assert row_release(rows(job), **theirs) == 0
    assert row_release(rows(job), **mine) == 1
    job.refresh_from_db()
    assert job.locked_until is None and job.new_username == ""


def test_a_cache_lease_has_one_holder_and_is_lost_to_a_takeover():
    cache.delete("test-lease")
    first, second = CacheLease("test-lease", 60), CacheLease("test-lease", 60)
    assert first.acquire() and not second.acquire()
    assert cache.get("test-lease") == first.token
    first.renew()
    cache.set("test-lease", "someone else", 60)
    with pytest.raises(LeaseLost):
        first.renew()
    first.release()  # not ours any more: left alone
    assert cache.get("test-lease") == "someone else"
    cache.delete("test-lease")
    assert second.acquire()
    second.release()
    assert cache.get("test-lease") is None
