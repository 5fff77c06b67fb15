"""Password rotation against the simulator: the happy path, a failure at every
step (a working credential always stays attached and the job resumes), a lost
answer, a crash between Vobiz and the database, and cancel."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.models import AuditEvent
from trunks import services
from trunks.choices import AuthType, RotationReason, RotationState
from trunks.models import RotationJob, TrunkCredential
from trunks.services import trunk_create
from trunks.validators import validate_sip_password

pytestmark = pytest.mark.django_db

COMPROMISED = RotationReason.COMPROMISED


def credentials_path(trunk):
    return f"/api/v1/Account/{trunk.account_auth_id}/credentials"


def trunk_path(trunk):
    return f"/api/v1/Account/{trunk.account_auth_id}/trunks/{trunk.remote_id}"


def attached_at_vobiz(remote, trunk):
    return remote.trunk(trunk.remote_id)["credential_uuid"]


def usernames_at_vobiz(remote):
    return sorted(c["username"] for c in remote.credentials())


def start(trunk, admin, reason=COMPROMISED):
    return services.rotation_start(actor=admin, trunk=trunk, reason=reason)


def assert_completes(job, admin, remote, trunk, old):
    job = services.rotation_resume(actor=admin, job=job)
    assert job.state == RotationState.DONE and job.last_error == ""
    trunk.refresh_from_db()
    assert trunk.credential_id == job.new_credential_id
    assert attached_at_vobiz(remote, trunk) == job.new_credential_remote_id
    assert usernames_at_vobiz(remote) == [job.new_username]
    assert TrunkCredential.objects.get(pk=old.pk).removed_at is not None
    return job


def test_a_rotation_replaces_the_credential_at_vobiz(sim_trunk, admin_user, remote):
    old = sim_trunk.credential
    job = start(sim_trunk, admin_user)
    assert job.state == RotationState.DONE and job.finished_at
    sim_trunk.refresh_from_db()
    new = sim_trunk.credential
    assert new.pk != old.pk and new.username == job.new_username != old.username
    assert validate_sip_password(new.password.reveal())
    assert new.password.reveal() == job.new_password.reveal()
    assert attached_at_vobiz(remote, sim_trunk) == new.remote_id
    assert usernames_at_vobiz(remote) == [new.username]
    assert new.rotated_at is not None
    old.refresh_from_db()
    assert old.removed_at is not None
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"credential.rotate_compromised", "credential.rotation_done"} <= actions
    for event in AuditEvent.objects.all():
        assert new.password.reveal() not in str(event.before) + str(event.after)


def test_a_routine_rotation_waits_until_the_password_is_due(sim_trunk, admin_user):
    with pytest.raises(ValidationError) as caught:
        start(sim_trunk, admin_user, reason=RotationReason.SCHEDULED)
    assert "Rotate now" in caught.value.messages[0]
    TrunkCredential.objects.filter(pk=sim_trunk.credential_id).update(
        rotated_at=timezone.now() - dt.timedelta(days=80)
    )
    sim_trunk.refresh_from_db()
    job = start(sim_trunk, admin_user, reason=RotationReason.SCHEDULED)
    assert job.state == RotationState.DONE
    assert AuditEvent.objects.filter(action="credential.rotate").exists()
    assert not AuditEvent.objects.filter(
        action="credential.rotate_compromised"
    ).exists()


def test_only_admins_rotate(sim_trunk, sim_lead):
    with pytest.raises(PermissionDenied):
        start(sim_trunk, sim_lead)
    assert not RotationJob.objects.exists()


def test_failure_creating_the_credential_keeps_the_old_one_and_resumes(
    sim, sim_trunk, admin_user, remote
):
    old = sim_trunk.credential
    sim.control.fail(
        status=500, count=1, path_prefix=credentials_path(sim_trunk), method="POST"
    )
    job = start(sim_trunk, admin_user)
    assert job.state == RotationState.CREATED
    assert "Vobiz did not answer properly" in job.last_error and job.last_error_at
    assert job.new_password  # kept, encrypted, for the retry
    assert attached_at_vobiz(remote, sim_trunk) == old.remote_id
    assert usernames_at_vobiz(remote) == [old.username]
    assert_completes(job, admin_user, remote, sim_trunk, old)


def test_failure_attaching_keeps_the_old_one_attached_and_resumes(
    sim, sim_trunk, admin_user, remote
):
    old = sim_trunk.credential
    sim.control.fail(
        status=500, count=2, path_prefix=trunk_path(sim_trunk), method="PUT"
    )
    job = start(sim_trunk, admin_user)
    assert job.state == RotationState.CREDENTIAL_CREATED and job.last_error
    # Both exist at Vobiz; the trunk still uses the old, working one.
    assert usernames_at_vobiz(remote) == sorted([old.username, job.new_username])
    assert attached_at_vobiz(remote, sim_trunk) == old.remote_id
    sim_trunk.refresh_from_db()
    assert sim_trunk.credential_id == old.pk
    assert job.new_credential.password.reveal() == job.new_password.reveal()
    assert_completes(job, admin_user, remote, sim_trunk, old)


def test_failure_removing_the_old_one_leaves_the_new_one_working_and_resumes(
    sim, sim_trunk, admin_user, remote
):
    old = sim_trunk.credential
    old_path = f"{credentials_path(sim_trunk)}/{old.remote_id}"
    sim.control.fail(status=500, count=2, path_prefix=old_path, method="DELETE")
    job = start(sim_trunk, admin_user)
    assert job.state == RotationState.ATTACHED and job.new_password_in_use
    assert attached_at_vobiz(remote, sim_trunk) == job.new_credential_remote_id
    assert old.username in usernames_at_vobiz(remote)
    assert_completes(job, admin_user, remote, sim_trunk, old)


def test_a_lost_answer_is_adopted_on_resume_not_created_twice(
    sim, sim_trunk, admin_user, remote
):
    old = sim_trunk.credential
    sim.control.fail(
        status=500, count=1, path_prefix=credentials_path(sim_trunk), method="POST"
    )
    job = start(sim_trunk, admin_user)
    # As if the failed create had landed at Vobiz and only the answer was lost.
    from sync.clients import sub_account_client

    client = sub_account_client(sim_trunk.provider_account, sim_trunk.sub_account)
    client.create_credential(job.new_username, job.new_password.reveal())
    job = assert_completes(job, admin_user, remote, sim_trunk, old)
    assert usernames_at_vobiz(remote) == [job.new_username]


def test_a_crash_between_vobiz_and_the_database_loses_nothing(
    sim, sim_trunk, admin_user, remote, monkeypatch
):
    old = sim_trunk.credential
    real = TrunkCredential.objects.update_or_create
    calls = []

    def crash_once(*args, **kwargs):
        if not calls:
            calls.append(1)
            raise RuntimeError("worker killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(TrunkCredential.objects, "update_or_create", crash_once)
    with pytest.raises(RuntimeError):
        start(sim_trunk, admin_user)
    job = RotationJob.objects.get()
    assert job.state == RotationState.CREATED and job.locked_until is None
    assert job.new_username in usernames_at_vobiz(remote)  # landed at Vobiz
    assert attached_at_vobiz(remote, sim_trunk) == old.remote_id
    assert_completes(job, admin_user, remote, sim_trunk, old)


def test_two_resumes_at_once_do_not_run_the_same_step(sim, sim_trunk, admin_user):
    sim.control.fail(
        status=500, count=2, path_prefix=trunk_path(sim_trunk), method="PUT"
    )
    job = start(sim_trunk, admin_user)
    RotationJob.objects.filter(pk=job.pk).update(
        locked_until=timezone.now() + dt.timedelta(seconds=60)
    )
    with pytest.raises(services.RotationBusy):
        services.rotation_resume(actor=admin_user, job=job)
    job.refresh_from_db()
    assert job.state == RotationState.CREDENTIAL_CREATED


def test_only_one_open_rotation_per_trunk(sim, sim_trunk, admin_user):
    sim.control.fail(
        status=500, count=1, path_prefix=credentials_path(sim_trunk), method="POST"
    )
    start(sim_trunk, admin_user)
    with pytest.raises(ValidationError):
        start(sim_trunk, admin_user)
    assert RotationJob.objects.count() == 1


def test_cancel_before_attach_deletes_the_new_credential(
    sim, sim_trunk, admin_user, remote
):
    old = sim_trunk.credential
    sim.control.fail(
        status=500, count=2, path_prefix=trunk_path(sim_trunk), method="PUT"
    )
    job = start(sim_trunk, admin_user)
    job = services.rotation_cancel(actor=admin_user, job=job)
    assert job.state == RotationState.CANCELLED
    assert usernames_at_vobiz(remote) == [old.username]
    assert attached_at_vobiz(remote, sim_trunk) == old.remote_id
    assert TrunkCredential.objects.get(pk=job.new_credential_id).removed_at


def test_cancel_after_attach_is_refused(sim, sim_trunk, admin_user):
    old = sim_trunk.credential
    old_path = f"{credentials_path(sim_trunk)}/{old.remote_id}"
    sim.control.fail(status=500, count=2, path_prefix=old_path, method="DELETE")
    job = start(sim_trunk, admin_user)
    with pytest.raises(ValidationError):
        services.rotation_cancel(actor=admin_user, job=job)


def test_password_auth_can_be_added_to_an_ip_only_trunk(sim_team, admin_user, remote):
    from trunks.validators import validate_ip_entry

    trunk, _ = trunk_create(
        actor=admin_user, sub_account=sim_team, name="PBX In", direction="inbound",
        concurrent_calls_limit=5, cps_limit=1, auth_type=AuthType.IP,
        first_ip=validate_ip_entry("8.8.4.4"),
    )  # fmt: skip
    job = start(trunk, admin_user, reason=RotationReason.ADDED)
    assert job.state == RotationState.DONE and job.old_credential is None
    trunk.refresh_from_db()
    assert trunk.auth_type == AuthType.BOTH
    assert attached_at_vobiz(remote, trunk) == trunk.credential.remote_id
    assert AuditEvent.objects.filter(action="credential.add").exists()
