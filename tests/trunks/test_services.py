"""Trunk and whitelist writes against the simulator: they land at Vobiz and in the
portal, or, when Vobiz refuses, nowhere."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from accounts.models import AuditEvent
from trunks import services
from trunks.choices import AuthType
from trunks.models import IpAclEntry, Trunk, TrunkCredential
from trunks.validators import validate_ip_entry
from trunks.vobiz_errors import NoVobizAccess
from vobiz.errors import Conflict, ServerError, VobizError

pytestmark = pytest.mark.django_db


def create(team, admin, **overrides):
    values = {
        "actor": admin,
        "sub_account": team,
        "name": "Sales Out",
        "direction": "outbound",
        "concurrent_calls_limit": 20,
        "cps_limit": 3,
        "auth_type": AuthType.PASSWORD,
        "username": "salesout",
    }
    values.update(overrides)
    return services.trunk_create(**values)


def snapshot_db():
    return (
        list(Trunk.objects.values()),
        list(TrunkCredential.objects.values_list("remote_id", "removed_at")),
        list(IpAclEntry.objects.values_list("remote_id", "removed_at")),
        AuditEvent.objects.filter(action__startswith="trunk.").count(),
    )


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
    with pytest.raises(ServerError):
        create(
            sim_team, admin_user, auth_type=AuthType.BOTH,
            first_ip=validate_ip_entry("8.8.4.4"),
        )  # fmt: skip
    assert snapshot_db() == before
    assert remote.trunks() == [] and remote.credentials() == [] and remote.acls() == []


def test_a_duplicate_username_at_vobiz_is_a_conflict(sim_team, admin_user):
    create(sim_team, admin_user)
    with pytest.raises(Conflict):
        create(sim_team, admin_user, name="Another")
    assert Trunk.objects.count() == 1


def test_a_sub_account_without_a_token_cannot_get_trunks(team_a, admin_user):
    team_a.auth_token = ""
    team_a.save()
    with pytest.raises(NoVobizAccess):
        create(team_a, admin_user)
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
    with pytest.raises(ServerError):
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
    with pytest.raises(Conflict):
        services.trunk_delete(actor=admin_user, trunk=sim_trunk)
    sim_trunk.refresh_from_db()
    assert sim_trunk.removed_at is None
    assert len(remote.trunks()) == 1


def test_adding_an_entry_lands_at_vobiz(sim_trunk, admin_user, remote):
    row = services.ip_entry_add(
        actor=admin_user,
        trunk=sim_trunk,
        entry=validate_ip_entry("34.120.7.0/24"),
        description="DC",
    )
    assert {a["ip_address"] for a in remote.acls()} == {"8.8.4.4", "34.120.7.0/24"}
    assert row.trunk == sim_trunk and row.description == "DC"
    assert AuditEvent.objects.get(action="trunk.ip_added").after["ip_address"] == (
        "34.120.7.0/24"
    )


def test_adding_a_duplicate_is_refused_before_vobiz(sim, sim_trunk, admin_user):
    sim.control.reset_counters()
    with pytest.raises(ValidationError):
        services.ip_entry_add(
            actor=admin_user, trunk=sim_trunk, entry=validate_ip_entry("8.8.4.4")
        )
    assert sim.control.counters()["requests"] == 0


def test_a_refused_entry_changes_nothing(sim, sim_trunk, admin_user, remote):
    before = snapshot_db()
    sim.control.fail(status=400, count=1, path_prefix="/api/v1/Account", method="POST")
    with pytest.raises(VobizError):
        services.ip_entry_add(
            actor=admin_user, trunk=sim_trunk, entry=validate_ip_entry("8.8.8.8")
        )
    assert snapshot_db() == before
    assert [a["ip_address"] for a in remote.acls()] == ["8.8.4.4"]


def test_a_first_entry_whose_attach_fails_is_undone_at_vobiz(
    sim, sim_team, admin_user, remote
):
    trunk, _ = create(sim_team, admin_user)
    sim.control.fail(status=500, count=2, method="PUT")
    with pytest.raises(ServerError):
        services.ip_entry_add(
            actor=admin_user, trunk=trunk, entry=validate_ip_entry("8.8.8.8")
        )
    assert remote.acls() == []
    assert not IpAclEntry.objects.exists()


def test_removing_the_attached_entry_attaches_the_next(sim_trunk, admin_user, remote):
    second = services.ip_entry_add(
        actor=admin_user, trunk=sim_trunk, entry=validate_ip_entry("8.8.8.8")
    )
    first = IpAclEntry.objects.get(trunk=sim_trunk, ip_address="8.8.4.4")
    assert services.ip_entry_remove(actor=admin_user, entry=first) == ""
    assert [a["ip_address"] for a in remote.acls()] == ["8.8.8.8"]
    assert remote.trunk(sim_trunk.remote_id)["ipacl_uuid"] == second.remote_id
    first.refresh_from_db()
    sim_trunk.refresh_from_db()
    assert first.removed_at and sim_trunk.ipacl_remote_id == second.remote_id


def test_the_last_entry_of_an_ip_only_trunk_stays(sim_team, admin_user, remote):
    trunk, _ = create(
        sim_team,
        admin_user,
        auth_type=AuthType.IP,
        first_ip=validate_ip_entry("8.8.4.4"),
    )
    entry = IpAclEntry.objects.get(trunk=trunk)
    with pytest.raises(ValidationError) as caught:
        services.ip_entry_remove(actor=admin_user, entry=entry)
    assert "last whitelist entry" in caught.value.messages[0]
    assert len(remote.acls()) == 1


def test_a_refused_removal_keeps_the_entry(sim, sim_trunk, admin_user, remote):
    entry = IpAclEntry.objects.get(trunk=sim_trunk)
    sim.control.fail(status=500, count=2, method="DELETE")
    with pytest.raises(ServerError):
        services.ip_entry_remove(actor=admin_user, entry=entry)
    entry.refresh_from_db()
    assert entry.removed_at is None and len(remote.acls()) == 1
