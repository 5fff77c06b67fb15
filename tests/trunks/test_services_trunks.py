"""Trunk writes against the simulator: they land at Vobiz and in the portal, or,
when Vobiz refuses (a ProviderError raised from the Vobiz error), nowhere."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from accounts.models import AuditEvent
from core.errors import ProviderError
from tests.trunks.conftest import create, raises_from, snapshot_db
from trunks import services
from trunks.choices import AuthType
from trunks.models import IpAclEntry, Trunk, TrunkCredential
from trunks.validators import validate_ip_entry
from vobiz.errors import Conflict, ServerError

pytestmark = pytest.mark.django_db


def test_a_password_trunk_lands_at_vobiz_and_in_the_portal(
    sim_team, admin_user, remote
):
    trunk, password = create(sim_team, admin_user)
    at_vobiz = remote.trunk(trunk.remote_id)
    assert at_vobiz["name"] == "Sales Out" and at_vobiz["concurrent_calls_limit"] == 20
    assert at_vobiz["cps_limit"] == 3 and at_vobiz["trunk_direction"] == "outbound"
    assert at_vobiz["credential_uuid"] == trunk.credential.remote_id
    assert [c["username"] for c in remote.credentials()] == ["salesout"]
    assert len(password) == 20
    assert trunk.credential.password.reveal() == password
    assert trunk.auth_type == AuthType.PASSWORD and trunk.sub_account == sim_team
    assert AuditEvent.objects.get(action="trunk.create").after["username"] == "salesout"


def test_an_ip_trunk_gets_its_first_whitelist_entry_attached(
    sim_team, admin_user, remote
):
    trunk, password = create(
        sim_team,
        admin_user,
        auth_type=AuthType.IP,
        direction="inbound",
        first_ip=validate_ip_entry("8.8.4.4"),
        ip_description="PBX",
    )
    assert password == ""
    entry = IpAclEntry.objects.get(trunk=trunk)
    assert remote.trunk(trunk.remote_id)["ipacl_uuid"] == entry.remote_id
    assert [(a["ip_address"], a["description"]) for a in remote.acls()] == [
        ("8.8.4.4", "PBX")
    ]
    assert trunk.auth_type == AuthType.IP and not remote.credentials()


def test_both_directions_is_sent_as_its_own_type(sim_team, admin_user, remote):
    trunk, _ = create(sim_team, admin_user, direction="both")
    assert remote.trunk(trunk.remote_id)["trunk_direction"] == "both"
    assert trunk.direction == "both"


def test_a_failed_trunk_create_undoes_the_credential_and_changes_nothing(
    sim, sim_team, admin_user, remote
):
    before = snapshot_db()
    path = f"/api/v1/Account/{sim_team.auth_id}/trunks"
    sim.control.fail(status=500, count=1, path_prefix=path, method="POST")
    with raises_from(ServerError):
        create(
            sim_team, admin_user, auth_type=AuthType.BOTH,
            first_ip=validate_ip_entry("8.8.4.4"),
        )  # fmt: skip
    assert snapshot_db() == before
    assert remote.trunks() == [] and remote.credentials() == [] and remote.acls() == []


def test_a_duplicate_username_at_vobiz_is_a_conflict(sim_team, admin_user):
    create(sim_team, admin_user)
    with raises_from(Conflict):
        create(sim_team, admin_user, name="Another")
    assert Trunk.objects.count() == 1


def test_a_sub_account_without_a_token_cannot_get_trunks(team_a, admin_user):
    team_a.auth_token = ""
    team_a.save()
    with pytest.raises(ProviderError, match="does not hold the auth token") as caught:
        create(team_a, admin_user)
    assert caught.value.kind == "no_access"
    assert not Trunk.objects.exists()


def test_a_portal_only_sub_account_is_refused(provider, admin_user):
    from accounts.services import subaccount_create

    local = subaccount_create(actor=None, provider_account=provider, name="Local")
    with pytest.raises(ValidationError):
        create(local, admin_user)


def test_update_replaces_at_vobiz_and_keeps_the_attachments(
    sim_trunk, admin_user, remote
):
    services.trunk_update(
        actor=admin_user,
        trunk=sim_trunk,
        name="Ops Trunk 2",
        direction="both",
        concurrent_calls_limit=30,
        cps_limit=5,
        enabled=False,
        description="Night traffic",
    )
    at_vobiz = remote.trunk(sim_trunk.remote_id)
    assert (at_vobiz["name"], at_vobiz["concurrent_calls_limit"]) == ("Ops Trunk 2", 30)
    assert at_vobiz["cps_limit"] == 5 and at_vobiz["trunk_status"] == "inactive"
    assert at_vobiz["credential_uuid"] == sim_trunk.credential_remote_id
    assert at_vobiz["ipacl_uuid"] == sim_trunk.ipacl_remote_id
    sim_trunk.refresh_from_db()
    assert sim_trunk.name == "Ops Trunk 2" and sim_trunk.enabled is False
    event = AuditEvent.objects.get(action="trunk.update")
    assert event.before["name"] == "Ops Trunk" and event.after["cps_limit"] == 5


def test_a_refused_update_changes_nothing(sim, sim_trunk, admin_user, remote):
    before = snapshot_db()
    sim.control.fail(
        status=500, count=2, path_prefix=f"/api/v1/Account/{sim_trunk.account_auth_id}",
        method="PUT",
    )  # fmt: skip
    with raises_from(ServerError):
        services.trunk_update(
            actor=admin_user, trunk=sim_trunk, name="Renamed", direction="outbound",
            concurrent_calls_limit=10, cps_limit=2, enabled=True,
        )  # fmt: skip
    assert snapshot_db() == before
    assert remote.trunk(sim_trunk.remote_id)["name"] == "Ops Trunk"


def test_delete_removes_the_trunk_and_its_entries_at_vobiz(
    sim_trunk, admin_user, remote
):
    extra = services.ip_entry_add(
        actor=admin_user, trunk=sim_trunk, entry=validate_ip_entry("8.8.8.8")
    )
    warnings = services.trunk_delete(actor=admin_user, trunk=sim_trunk)
    assert warnings == []
    assert remote.trunks() == [] and remote.acls() == [] and remote.credentials() == []
    sim_trunk.refresh_from_db()
    extra.refresh_from_db()
    assert sim_trunk.removed_at and extra.removed_at
    assert TrunkCredential.objects.get(pk=sim_trunk.credential_id).removed_at
    assert AuditEvent.objects.filter(action="trunk.delete").count() == 1


def test_a_refused_delete_keeps_the_trunk(sim, sim_trunk, admin_user, remote):
    sim.control.fail(status=409, count=1, method="DELETE")
    with raises_from(Conflict):
        services.trunk_delete(actor=admin_user, trunk=sim_trunk)
    sim_trunk.refresh_from_db()
    assert sim_trunk.removed_at is None
    assert len(remote.trunks()) == 1
