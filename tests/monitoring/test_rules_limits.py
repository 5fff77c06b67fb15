"""The rate-limit rule fires when API requests or a trunk's calls come near their
Vobiz limits, and resolves when they fall back. CDRs go in through billing's
real ingest."""

from __future__ import annotations

import pytest

from tests.monitoring.conftest import (
    MIN,
    NOW,
    api_calls,
    calls,
    cdr,
    evaluate,
    firing,
    ingest,
    only_rule,
    trunk,
)

pytestmark = pytest.mark.django_db


# --- rate limit approaching ---------------------------------------------------


def test_api_requests_near_a_sub_accounts_rate_limit_fire_and_resolve(provider, team_a):
    only_rule("rate_limit")
    team_a.rate_limit = 100
    team_a.save()
    api_calls(provider, 85, at=NOW - MIN / 2, sub_account=team_a, spread_seconds=20)
    evaluate()
    [alert] = firing("rate_limit")
    assert alert.sub_account == team_a and alert.value == pytest.approx(85.0)
    evaluate(NOW + 10 * MIN)
    assert firing("rate_limit") == []


def test_requests_below_eighty_percent_do_not_fire(provider, team_a):
    only_rule("rate_limit")
    team_a.rate_limit = 100
    team_a.save()
    api_calls(provider, 79, at=NOW - MIN / 2, sub_account=team_a, spread_seconds=20)
    evaluate()
    assert firing("rate_limit") == []


def test_a_trunks_calls_per_second_at_its_limit_fire(provider, team_a):
    only_rule("rate_limit")
    trunk(provider, team_a, cps_limit=2, concurrent_calls_limit=100)
    start = NOW - 2 * MIN
    ingest(
        provider,
        [cdr(team_a, start, trunk="trk-1"), cdr(team_a, start, trunk="trk-1")],
    )
    evaluate()
    [alert] = firing("rate_limit")
    assert alert.details == {"measure": "cps", "peak": 2, "limit": 2}
    assert alert.severity == "critical"


def test_a_trunks_concurrent_calls_near_its_limit_fire(provider, team_a):
    only_rule("rate_limit")
    trunk(provider, team_a, cps_limit=100, concurrent_calls_limit=10)
    overlapping = calls(
        team_a, 8, NOW - 4 * MIN, every_seconds=2, billsec=120, trunk="trk-1"
    )
    ingest(provider, overlapping)
    evaluate()
    [alert] = firing("rate_limit")
    assert alert.details["measure"] == "concurrency"
    assert alert.details["peak"] == 8
