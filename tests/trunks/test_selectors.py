"""Reads for trunk pages and alerts: a trunk's health in words and colour."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.trunks.factories import TrunkFactory
from trunks.selectors import trunk_health

pytestmark = pytest.mark.django_db


def test_a_healthy_trunk(team_a):
    health = trunk_health(TrunkFactory(sub_account=team_a))
    assert (health.state, health.label, health.tone) == ("active", "Active", "green")
    assert not health.is_down and health.recent_auth_failures == 0


def test_disabled_and_deleted_trunks_are_off_not_down(team_a):
    assert trunk_health(TrunkFactory(sub_account=team_a, enabled=False)).state == (
        "disabled"
    )
    gone = TrunkFactory(sub_account=team_a, removed_at=timezone.now())
    assert trunk_health(gone).state == "removed" and not trunk_health(gone).is_down
