"""Authentication failures recorded on a trunk make it count as down, for a while."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.trunks.factories import TrunkFactory
from trunks.selectors import trunk_health
from trunks.services import trunk_auth_failure_record

pytestmark = pytest.mark.django_db


def test_repeated_auth_failures_mark_it_down_and_old_ones_fade(team_a):
    trunk = TrunkFactory(sub_account=team_a)
    now = timezone.now()
    trunk_auth_failure_record(
        trunk=trunk, source="webhook", at=now - dt.timedelta(hours=2)
    )
    for _ in range(2):
        trunk_auth_failure_record(trunk=trunk, source="webhook", detail="401")
    assert trunk_health(trunk).state == "active"
    trunk_auth_failure_record(trunk=trunk, source="webhook")
    health = trunk_health(trunk)
    assert health.state == "auth_failing" and health.is_down
    assert health.recent_auth_failures == 3 and health.since is not None
