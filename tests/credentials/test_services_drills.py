"""The compromise drill against the simulator: one confirmed action rotates the
sub-account's token and every trunk password and disables it; a failure stops it
at that step, Resume continues there, and a finished step is never run again."""

from __future__ import annotations

import pytest
import requests
from django.core.exceptions import ValidationError

from accounts.models import AuditEvent, SubAccount
from core.leases import row_claim
from credentials import selectors, services
from credentials.choices import DrillState, StepKind, StepState
from credentials.models import Drill, DrillStep
from credentials.services import drills
from tests.credentials.conftest import password_trunk
from trunks.choices import RotationReason, RotationState
from trunks.models import RotationJob, Trunk

pytestmark = pytest.mark.django_db


def remote_sub_account(sim, team) -> dict:
    """Read the sub-account as Vobiz holds it, as the master account."""
    creds = sim.credentials
    response = requests.get(
        f"{sim.base_url}/accounts/{creds['auth_id']}/sub-accounts/{team.auth_id}",
        headers=sim.auth_headers(),
        verify=sim.ca_bundle,
        timeout=10,
    )
    response.raise_for_status()
    return response.json()


def start(team, admin, *, disable=False):
    return drills.drill_start(
        actor=admin, sub_account=team, confirm_name=team.name, disable=disable
    )


def states(drill):
    return list(drill.steps.order_by("position").values_list("state", flat=True))


@pytest.fixture
def two_trunks(sim_team, admin_user):
    return [
        password_trunk(sim_team, admin_user, "Ops Trunk", "opstrunk"),
        password_trunk(sim_team, admin_user, "Dialer", "dialer"),
    ]


def test_a_drill_rotates_every_secret_and_disables_the_sub_account(
    sim, sim_team, two_trunks, admin_user, sim_auth
):
    old_token = sim_team.auth_token.reveal()
    old_credentials = {t.pk: t.credential_id for t in two_trunks}
    run = start(sim_team, admin_user, disable=True)
    drill = run.drill
    assert drill.state == DrillState.DONE and drill.finished_at
    assert states(drill) == [StepState.DONE] * 4
    kinds = list(drill.steps.order_by("position").values_list("kind", flat=True))
    assert kinds == [
        StepKind.AUTH_TOKEN,
        StepKind.TRUNK_PASSWORD,
        StepKind.TRUNK_PASSWORD,
        StepKind.DISABLE,
    ]
    # The old token is void; the new one (shown once) is the stored one.
    team = SubAccount.objects.get(pk=sim_team.pk)
    assert run.token and team.auth_token.reveal() == run.token
    assert sim_auth.token_status(team.auth_id, old_token) == 401
    # Every trunk has a new credential from a "compromised" staged rotation.
    for trunk in Trunk.objects.filter(pk__in=old_credentials):
        assert trunk.credential_id != old_credentials[trunk.pk]
        job = RotationJob.objects.get(trunk=trunk)
        assert job.state == RotationState.DONE
        assert job.reason == RotationReason.COMPROMISED
    # Disabled at Vobiz and in the portal.
    assert remote_sub_account(sim, team)["enabled"] is False
    assert team.enabled is False
    steps = AuditEvent.objects.filter(action="drill.step")
    assert steps.count() == 4
    assert {e.after["outcome"] for e in steps} == {StepState.DONE}


def test_a_failed_step_stops_the_drill_and_resume_continues_there(
    sim, sim_team, two_trunks, admin_user, sim_auth
):
    before = sim_auth.rotations()
    path = f"/api/v1/Account/{sim_team.auth_id}/credentials"
    sim.control.fail(status=500, count=1, path_prefix=path, method="POST")
    drill = start(sim_team, admin_user).drill
    assert drill.state == DrillState.STOPPED
    assert states(drill) == [StepState.DONE, StepState.FAILED, StepState.PENDING]
    failed = drill.steps.get(position=2)
    assert "did not answer" in failed.error or "stopped" in failed.error
    rotations = sim_auth.rotations()
    assert rotations == before + 1

    run = drills.drill_resume(actor=admin_user, drill=drill)
    assert run.drill.state == DrillState.DONE
    assert states(run.drill) == [StepState.DONE] * 3
    # The token step was not run again: no second rotation, no new token shown.
    assert sim_auth.rotations() == rotations
    assert run.token == ""
    first = AuditEvent.objects.filter(action="drill.step", after__position=1)
    assert first.count() == 1
    # The trunk that failed resumed its own staged rotation (one job, done).
    job = RotationJob.objects.get(trunk=failed.trunk)
    assert job.state == RotationState.DONE


def test_a_failed_token_step_keeps_the_old_token_and_stops_the_drill(
    sim, sim_team, sim_trunk, admin_user, sim_auth
):
    old = sim_team.auth_token.reveal()
    sim.control.fail(
        status=503, count=3, path_prefix="/api/v1/auth-token/rotate", method="POST"
    )
    drill = start(sim_team, admin_user).drill
    assert drill.state == DrillState.STOPPED
    assert states(drill) == [StepState.FAILED, StepState.PENDING]
    assert "still works" in drill.steps.get(position=1).error
    assert sim_auth.token_status(sim_team.auth_id, old) == 200
    assert not RotationJob.objects.exists()


def test_a_token_stored_before_a_crash_is_not_rotated_again(
    sim_team, admin_user, sim_auth, monkeypatch
):
    # The first run dies right after the new token is stored, before the step
    # is marked: the resumed drill must see that and not rotate once more.
    original = drills._record_step
    crashed = []

    def crash_once(step, actor, state, detail):
        if not crashed:
            crashed.append(step.pk)
            raise KeyboardInterrupt
        original(step, actor, state, detail)

    monkeypatch.setattr(drills, "_record_step", crash_once)
    with pytest.raises(KeyboardInterrupt):
        start(sim_team, admin_user)
    drill = Drill.objects.get()
    assert states(drill) == [StepState.PENDING]
    assert drill.locked_until is None
    rotations = sim_auth.rotations()
    run = drills.drill_resume(actor=admin_user, drill=drill)
    assert run.drill.state == DrillState.DONE
    assert sim_auth.rotations() == rotations
    assert "earlier run" in run.drill.steps.get().detail


def test_a_finished_drill_cannot_be_resumed(sim_team, admin_user):
    drill = start(sim_team, admin_user).drill
    assert drill.state == DrillState.DONE
    with pytest.raises(ValidationError, match="nothing is left"):
        drills.drill_resume(actor=admin_user, drill=drill)


def test_the_typed_name_must_match(sim_team, admin_user):
    with pytest.raises(ValidationError) as refused:
        drills.drill_start(
            actor=admin_user,
            sub_account=sim_team,
            confirm_name="ops team",
            disable=True,
        )
    assert "confirm_name" in refused.value.message_dict
    assert not Drill.objects.exists()


def test_one_unfinished_drill_per_sub_account(sim, sim_team, admin_user):
    sim.control.fail(
        status=503, count=3, path_prefix="/api/v1/auth-token/rotate", method="POST"
    )
    start(sim_team, admin_user)
    with pytest.raises(ValidationError, match="resume it"):
        start(sim_team, admin_user)
    assert Drill.objects.count() == 1


def test_a_drill_running_elsewhere_is_not_run_twice(sim_team, admin_user):
    drill = start(sim_team, admin_user).drill
    Drill.objects.filter(pk=drill.pk).update(state=DrillState.STOPPED)
    drill = Drill.objects.get(pk=drill.pk)
    row_claim(Drill.objects.filter(pk=drill.pk), seconds=drills.LOCK_SECONDS)
    with pytest.raises(drills.DrillBusy):
        drills.drill_resume(actor=admin_user, drill=drill)


def test_without_a_stored_token_the_step_says_what_to_do(sim_team, admin_user):
    SubAccount.objects.filter(pk=sim_team.pk).update(auth_token="")
    team = SubAccount.objects.get(pk=sim_team.pk)
    drill = start(team, admin_user).drill
    step = drill.steps.get()
    assert step.state == StepState.SKIPPED
    assert "Vobiz console" in step.detail
    text, _url = selectors.next_action(step)
    assert "Vobiz console" in text


def test_the_report_says_what_to_do_next(sim_team, sim_trunk, admin_user):
    drill = start(sim_team, admin_user).drill
    advice = [
        selectors.next_action(step)[0] for step in drill.steps.order_by("position")
    ]
    assert "new auth token" in advice[0]
    assert "new SIP password" in advice[1]


def test_services_refuse_non_admins(sim_team, lead_a):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        start(sim_team, lead_a)
    assert not DrillStep.objects.exists()
    assert services  # the services module is what the steps call
