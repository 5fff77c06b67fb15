"""Trunk rules (a trunk down, a SIP password due for rotation) fire on data that
meets their condition and resolve when it no longer does."""

from __future__ import annotations

import pytest

from accounts.audit import audit_record
from sync.models import SyncState
from tests.monitoring.conftest import (
    DAY,
    MIN,
    NOW,
    calls,
    cdr,
    evaluate,
    firing,
    ingest,
    only_rule,
    trunk,
)
from trunks.models import Trunk, TrunkCredential

pytestmark = pytest.mark.django_db


# --- trunk down ---------------------------------------------------------------


def test_an_inactive_trunk_fires_with_when_it_went_inactive_and_resolves(
    provider, team_a
):
    only_rule("trunk_down")
    t = trunk(provider, team_a, status="inactive")
    audit_record(
        actor=None,
        action="trunk.went_inactive",
        obj=t,
        sub_account=team_a,
        before={"status": "active"},
        after={"status": "inactive"},
    )
    evaluate()
    [alert] = firing("trunk_down")
    assert alert.sub_account == team_a and alert.severity == "critical"
    assert "inactive" in alert.message and " since " in alert.message
    Trunk.objects.filter(pk=t.pk).update(status="active")
    evaluate(NOW + MIN)
    assert firing("trunk_down") == []


def test_a_disabled_trunk_is_not_down(provider, team_a):
    only_rule("trunk_down")
    trunk(provider, team_a, status="inactive", enabled=False)
    evaluate()
    assert firing("trunk_down") == []


def test_a_trunk_that_goes_silent_after_traffic_fires_and_resolves_on_a_call(
    provider, team_a
):
    only_rule("trunk_down")
    trunk(provider, team_a)
    ingest(provider, calls(team_a, 6, NOW - 110 * MIN, trunk="trk-1"))
    evaluate()
    [alert] = firing("trunk_down")
    assert alert.details["reason"] == "silent"
    assert "carried 6 calls" in alert.message
    ingest(provider, [cdr(team_a, NOW - 5 * MIN, trunk="trk-1")])
    evaluate(NOW + MIN)
    assert firing("trunk_down") == []


def test_silence_is_judged_up_to_the_last_cdr_sync(provider, team_a):
    only_rule("trunk_down")
    trunk(provider, team_a)
    ingest(provider, calls(team_a, 6, NOW - 110 * MIN, trunk="trk-1"))
    # The last CDR sync ran 70 minutes ago: the last hour is not known yet.
    SyncState.objects.create(
        provider_account=provider, kind="cdrs", last_success_at=NOW - 70 * MIN
    )
    evaluate()
    assert firing("trunk_down") == []


# --- credential rotation due --------------------------------------------------


def credential(provider, team, rotated_at):
    return TrunkCredential.objects.create(
        provider_account=provider,
        sub_account=team,
        remote_id="cred-1",
        username="sales-sip",
        rotated_at=rotated_at,
    )


def test_a_password_within_fourteen_days_of_rotation_fires_and_resolves_on_rotation(
    provider, team_a
):
    only_rule("credential_rotation")
    c = credential(provider, team_a, NOW - 80 * DAY)
    evaluate()
    [alert] = firing("credential_rotation")
    assert alert.severity == "warning" and "due on" in alert.message
    TrunkCredential.objects.filter(pk=c.pk).update(rotated_at=NOW)
    evaluate(NOW + MIN)
    assert firing("credential_rotation") == []


def test_an_overdue_password_is_critical(provider, team_a, settings):
    settings.TRUNK_PASSWORD_ROTATION_DAYS = 30
    only_rule("credential_rotation")
    credential(provider, team_a, NOW - 31 * DAY)
    evaluate()
    [alert] = firing("credential_rotation")
    assert alert.severity == "critical" and "overdue" in alert.message


def test_a_fresh_password_does_not_fire(provider, team_a):
    only_rule("credential_rotation")
    credential(provider, team_a, NOW - 60 * DAY)
    evaluate()
    assert firing("credential_rotation") == []
