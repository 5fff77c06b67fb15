"""Rotation pages: start (confirm), status with Resume and Cancel, the once-only
password page, and a lead's request."""

from __future__ import annotations

import pytest
from django.urls import reverse

from monitoring.models import Notification
from tests.trunks.conftest import shows
from tests.trunks.factories import TrunkFactory
from trunks.choices import RotationState
from trunks.models import RotationJob, RotationRequest

pytestmark = pytest.mark.django_db


def rotate(trunk, reason=""):
    url = reverse("trunks:trunk_rotate", args=[trunk.pk])
    return f"{url}?reason={reason}" if reason else url


def job_url(job, action="detail"):
    return reverse(f"trunks:trunk_rotation_{action}", args=[job.trunk_id, job.pk])


def ask(trunk):
    return reverse("trunks:trunk_rotation_request", args=[trunk.pk])


@pytest.fixture
def trunk_a(team_a):
    return TrunkFactory(sub_account=team_a)


def test_the_confirmation_states_the_consequence(as_admin, trunk_a):
    body = as_admin.get(rotate(trunk_a, "compromised")).content.decode()
    assert "Calls that authenticate with the old username and password fail" in body
    assert "suspected compromise" in body
    assert not RotationJob.objects.exists()


def test_rotating_shows_the_new_password_exactly_once(as_admin, sim_trunk):
    response = as_admin.post(
        rotate(sim_trunk), {"confirm": "on", "reason": "compromised", "note": "leak"}
    )
    job = RotationJob.objects.get()
    assert job.state == RotationState.DONE and job.note == "leak"
    password = job.new_password.reveal()
    shown = as_admin.get(response["Location"])
    assert shows(shown, password)
    assert "no-store" in shown["Cache-Control"]
    job.refresh_from_db()
    assert job.password_shown_at is not None
    for again in (
        as_admin.get(response["Location"]),
        as_admin.post(job_url(job, "reveal"), follow=True),
    ):
        assert not shows(again, password)
    assert not shows(as_admin.get(sim_trunk.get_absolute_url()), password)


def test_without_the_confirmation_nothing_happens(as_admin, sim_trunk):
    response = as_admin.post(rotate(sim_trunk), {"reason": "compromised"})
    assert response.status_code == 200 and not RotationJob.objects.exists()


def test_a_routine_rotation_before_it_is_due_is_refused_in_words(as_admin, sim_trunk):
    response = as_admin.post(rotate(sim_trunk), {"confirm": "on"})
    assert "is not due until" in response.content.decode()
    assert not RotationJob.objects.exists()


def test_a_failed_step_shows_the_status_with_resume(as_admin, sim, sim_trunk):
    path = f"/api/v1/Account/{sim_trunk.account_auth_id}/trunks/{sim_trunk.remote_id}"
    sim.control.fail(status=500, count=2, path_prefix=path, method="PUT")
    response = as_admin.post(
        rotate(sim_trunk), {"confirm": "on", "reason": "compromised"}
    )
    job = RotationJob.objects.get()
    assert response["Location"] == job_url(job)
    page = as_admin.get(job_url(job)).content.decode()
    assert "Vobiz did not answer properly" in page
    assert "The old password is still attached and working." in page
    assert ">Resume<" in page and "Cancel the rotation" in page
    resumed = as_admin.post(job_url(job, "resume"))
    job.refresh_from_db()
    assert job.state == RotationState.DONE
    shown = as_admin.get(resumed["Location"])
    assert shows(shown, job.new_password.reveal())


def test_a_stop_after_attaching_shows_the_password_and_still_offers_resume(
    as_admin, sim, sim_trunk
):
    old = sim_trunk.credential
    path = f"/api/v1/Account/{sim_trunk.account_auth_id}/credentials/{old.remote_id}"
    sim.control.fail(status=500, count=2, path_prefix=path, method="DELETE")
    response = as_admin.post(
        rotate(sim_trunk), {"confirm": "on", "reason": "compromised"}
    )
    job = RotationJob.objects.get()
    assert job.state == RotationState.ATTACHED
    shown = as_admin.get(response["Location"])
    assert shows(shown, job.new_password.reveal())
    assert "has not finished" in shown.content.decode()
    page = as_admin.get(job_url(job)).content.decode()
    assert ">Resume<" in page and "Cancel the rotation" not in page


def test_cancel_from_the_status_page(as_admin, sim, sim_trunk):
    sim.control.fail(status=500, count=1, method="POST")
    as_admin.post(rotate(sim_trunk), {"confirm": "on", "reason": "compromised"})
    job = RotationJob.objects.get()
    response = as_admin.post(job_url(job, "cancel"))
    assert response["Location"] == sim_trunk.get_absolute_url()
    job.refresh_from_db()
    assert job.state == RotationState.CANCELLED


def test_password_auth_is_added_from_the_trunk_page(as_admin, sim_team, admin_user):
    from trunks.services import trunk_create
    from trunks.validators import validate_ip_entry

    trunk, _ = trunk_create(
        actor=admin_user, sub_account=sim_team, name="PBX In", direction="inbound",
        concurrent_calls_limit=5, cps_limit=1, auth_type="ip",
        first_ip=validate_ip_entry("8.8.4.4"),
    )  # fmt: skip
    assert (
        b"Add password authentication" in as_admin.get(trunk.get_absolute_url()).content
    )
    as_admin.post(rotate(trunk, "added"), {"confirm": "on", "reason": "added"})
    trunk.refresh_from_db()
    assert trunk.auth_type == "both"


@pytest.mark.parametrize("persona", ["as_lead_a", "as_viewer_a", "as_finance"])
def test_only_admins_rotate(request, persona, trunk_a):
    client = request.getfixturevalue(persona)
    assert client.get(rotate(trunk_a)).status_code == 403
    assert client.post(rotate(trunk_a), {"confirm": "on"}).status_code == 403
    assert not RotationJob.objects.exists()


def test_rotation_pages_of_another_team_or_unknown_are_404(
    as_lead_b, as_admin, as_lead_a, trunk_a, admin_user
):
    job = RotationJob.objects.create(
        trunk=trunk_a, reason="compromised", new_username="x1234", new_password="p",
        started_by=admin_user,
    )  # fmt: skip
    for action in ("detail", "resume", "cancel", "reveal"):
        method = as_lead_b.get if action == "detail" else as_lead_b.post
        assert method(job_url(job, action)).status_code == 404
    assert as_lead_a.get(job_url(job)).status_code == 403
    assert as_lead_b.get(rotate(trunk_a)).status_code == 404
    unknown = reverse("trunks:trunk_rotation_detail", args=[trunk_a.pk, 999999])
    assert as_admin.get(unknown).status_code == 404
    assert (
        as_admin.get(reverse("trunks:trunk_rotate", args=[999999])).status_code == 404
    )


def test_a_lead_asks_for_a_rotation_and_admins_hear_of_it(
    as_lead_a, trunk_a, admin_user
):
    response = as_lead_a.post(ask(trunk_a), {"reason": "Contractor left"}, follow=True)
    assert "The admins have been asked to rotate it." in response.content.decode()
    assert RotationRequest.objects.get().reason == "Contractor left"
    assert Notification.objects.filter(user=admin_user).count() == 1
    page = as_lead_a.get(trunk_a.get_absolute_url()).content.decode()
    assert "Rotation requested on" in page and "Ask an admin" not in page
    again = as_lead_a.post(ask(trunk_a), {}, follow=True)
    assert "already been requested" in again.content.decode()


@pytest.mark.parametrize("persona", ["as_viewer_a", "as_finance", "as_admin"])
def test_only_the_teams_lead_asks(request, persona, trunk_a):
    client = request.getfixturevalue(persona)
    assert client.post(ask(trunk_a), {}).status_code == 403
    assert not RotationRequest.objects.exists()


def test_another_teams_lead_cannot_ask(as_lead_b, trunk_a):
    assert as_lead_b.post(ask(trunk_a), {}).status_code == 404
    assert (
        as_lead_b.post(
            reverse("trunks:trunk_rotation_request", args=[999999])
        ).status_code
        == 404
    )


def test_an_unknown_ticket_shows_nothing(as_admin):
    response = as_admin.get(reverse("trunks:secret_show"), {"t": "made-up"})
    assert response.status_code == 410
    assert b"already been shown" in response.content
    assert b'class="secret-box"' not in response.content
