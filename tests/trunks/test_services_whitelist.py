"""Whitelist writes against the simulator: entries land at Vobiz and in the
portal, or, when Vobiz refuses (a ProviderError raised from the Vobiz error),
nowhere; a trunk never loses its last way to authenticate."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from accounts.models import AuditEvent
from tests.trunks.conftest import create, raises_from, snapshot_db
from trunks import services
from trunks.choices import AuthType
from trunks.models import IpAclEntry
from trunks.validators import validate_ip_entry
from vobiz.errors import ServerError, VobizError

pytestmark = pytest.mark.django_db


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
    with raises_from(VobizError):
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
    with raises_from(ServerError):
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
    with raises_from(ServerError):
        services.ip_entry_remove(actor=admin_user, entry=entry)
    entry.refresh_from_db()
    assert entry.removed_at is None and len(remote.acls()) == 1
