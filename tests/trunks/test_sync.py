"""The trunk sync against the simulator: sub-account trunks (which Vobiz lists
only to the sub-account itself), drift recorded as health and audit events,
vanished trunks marked removed, and a second run that changes nothing."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from accounts.models import AuditEvent
from sync.clients import sub_account_client
from trunks.choices import HealthEventKind
from trunks.models import IpAclEntry, Trunk, TrunkHealthEvent
from trunks.selectors import trunk_health
from trunks.sync import trunks_sync

pytestmark = pytest.mark.django_db


def test_the_sync_records_a_trunk_going_inactive_and_coming_back(
    sim, sim_trunk, admin_user
):
    client = sub_account_client(sim_trunk.provider_account, sim_trunk.sub_account)
    base = {"name": sim_trunk.name, "max_concurrent_calls": 10}
    client.update_trunk(
        sim_trunk.remote_id, enabled=False, **base
    )  # outside the portal
    trunks_sync(provider=sim_trunk.provider_account)
    sim_trunk.refresh_from_db()
    health = trunk_health(sim_trunk)
    assert sim_trunk.status == "inactive"
    assert AuditEvent.objects.filter(action="trunk.went_inactive").count() == 1
    event = TrunkHealthEvent.objects.get(kind=HealthEventKind.WENT_INACTIVE)
    assert event.trunk == sim_trunk and event.source == "sync"
    client.update_trunk(sim_trunk.remote_id, enabled=True, **base)
    cache.clear()
    trunks_sync(provider=sim_trunk.provider_account)
    assert TrunkHealthEvent.objects.filter(kind=HealthEventKind.ACTIVE_AGAIN).exists()
    assert health.state == "disabled"  # disabled at Vobiz: enabled false too
    sim_trunk.refresh_from_db()
    assert trunk_health(sim_trunk).state == "active"


def test_the_sync_mirrors_a_sub_accounts_own_trunks(sim, sim_team, admin_user):
    client = sub_account_client(sim_team.provider_account, sim_team)
    made = client.create_trunk("Made In Console", "OUTBOUND", 5)
    acl = client.create_ip_acl("Office", "8.8.8.8")
    client.update_trunk(
        made["trunk_id"], name="Made In Console", max_concurrent_calls=5,
        enabled=True, ipacl_uuid=acl["id"],
    )  # fmt: skip
    summary = trunks_sync(provider=sim_team.provider_account)
    assert sim_team.auth_id in summary["accounts"]
    trunk = Trunk.objects.get(remote_id=made["trunk_id"])
    assert trunk.sub_account == sim_team and trunk.account_auth_id == sim_team.auth_id
    assert IpAclEntry.objects.get(remote_id=acl["id"]).trunk == trunk
    # The master's seeded trunks come in too, without a sub-account.
    assert Trunk.objects.filter(sub_account__isnull=True).exists()


def test_a_sub_account_whose_token_stopped_working_is_skipped_not_emptied(
    sim, sim_trunk
):
    team = sim_trunk.sub_account
    team.auth_token = "not-the-token-anymore-0000"
    team.save()
    summary = trunks_sync(provider=team.provider_account)
    assert summary["skipped_accounts"] == [team.auth_id]
    sim_trunk.refresh_from_db()
    assert sim_trunk.removed_at is None


def test_a_trunk_deleted_at_vobiz_is_marked_removed(sim, sim_trunk):
    client = sub_account_client(sim_trunk.provider_account, sim_trunk.sub_account)
    client.delete_trunk(sim_trunk.remote_id)
    trunks_sync(provider=sim_trunk.provider_account)
    sim_trunk.refresh_from_db()
    assert sim_trunk.removed_at is not None


def test_a_second_sync_changes_nothing(sim, sim_trunk):
    trunks_sync(provider=sim_trunk.provider_account)
    cache.clear()
    again = trunks_sync(provider=sim_trunk.provider_account)
    assert again["trunks"]["updated"] == again["trunks"]["created"] == 0
    assert not AuditEvent.objects.filter(action="trunk.changed_outside").exists()
