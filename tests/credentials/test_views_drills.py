"""Drill pages: the typed-name confirmation, the report (rotated, failed, what to
do next, the new token once), Resume, the drill list; the per-view checklist."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import SubAccount
from credentials.choices import DrillState, StepKind, StepState
from credentials.models import Drill, DrillStep
from tests.conftest import MAX_LIST_QUERIES, count_queries

pytestmark = pytest.mark.django_db

LIST = reverse("credentials:drill_list")
SHOW_ONCE = b"This is the only time it is shown"


def start_url(team):
    return reverse("credentials:subaccount_drill", args=[team.pk])


def detail_url(drill):
    return reverse(
        "credentials:subaccount_drill_detail", args=[drill.sub_account_id, drill.pk]
    )


def resume_url(drill):
    return reverse(
        "credentials:subaccount_drill_resume", args=[drill.sub_account_id, drill.pk]
    )


def stopped_drill(team, admin):
    drill = Drill.objects.create(
        sub_account=team,
        sub_account_label=team.name,
        started_by=admin,
        state=DrillState.STOPPED,
    )
    DrillStep.objects.create(
        drill=drill,
        position=1,
        kind=StepKind.AUTH_TOKEN,
        label="Rotate the auth token",
        state=StepState.FAILED,
        error="Vobiz did not answer properly.",
    )
    return drill


@pytest.fixture
def drill_a(team_a, admin_user):
    return stopped_drill(team_a, admin_user)


# --- start ---------------------------------------------------------------------------


def test_the_start_page_lists_what_will_happen(as_admin, team_a):
    response = as_admin.get(start_url(team_a))
    assert response.status_code == 200
    page = response.content.decode()
    assert "rotates its auth token" in page and "disables it at Vobiz" in page
    assert "Type the sub-account" in page


def test_a_lead_of_the_team_gets_403(as_lead_a, team_a):
    assert as_lead_a.get(start_url(team_a)).status_code == 403
    response = as_lead_a.post(start_url(team_a), {"confirm_name": team_a.name})
    assert response.status_code == 403
    assert not Drill.objects.exists()


def test_another_team_gets_404(as_lead_b, team_a, drill_a):
    assert as_lead_b.get(start_url(team_a)).status_code == 404
    assert as_lead_b.get(detail_url(drill_a)).status_code == 404
    assert as_lead_b.post(resume_url(drill_a)).status_code == 404


def test_unknown_ids_get_404(as_admin, team_a, team_b, drill_a):
    assert (
        as_admin.get(reverse("credentials:subaccount_drill", args=[999])).status_code
        == 404
    )
    wrong_team = reverse(
        "credentials:subaccount_drill_detail", args=[team_b.pk, drill_a.pk]
    )
    assert as_admin.get(wrong_team).status_code == 404
    ghost = reverse("credentials:subaccount_drill_detail", args=[team_a.pk, 999])
    assert as_admin.get(ghost).status_code == 404


def test_htmx_gets_the_partials(as_admin, team_a, drill_a, htmx_headers):
    form = as_admin.get(start_url(team_a), **htmx_headers)
    assert b"<html" not in form.content and b"confirm_name" in form.content
    steps = as_admin.get(detail_url(drill_a), **htmx_headers)
    assert b"<html" not in steps.content and b"Rotate the auth token" in steps.content


def test_a_wrong_name_gets_a_field_error_and_starts_nothing(as_admin, team_a):
    response = as_admin.post(start_url(team_a), {"confirm_name": "team a"})
    assert response.status_code == 200
    assert b"Type the name exactly as shown: Team A" in response.content
    assert not Drill.objects.exists()


def test_a_drill_runs_and_shows_its_report_with_the_token_once(as_admin, sim_team):
    response = as_admin.post(
        start_url(sim_team), {"confirm_name": sim_team.name, "disable": "on"}
    )
    assert response.status_code == 200
    token = SubAccount.objects.get(pk=sim_team.pk).auth_token.reveal()
    assert token.encode() in response.content and SHOW_ONCE in response.content
    assert "no-store" in response["Cache-Control"]
    drill = Drill.objects.get()
    assert drill.state == DrillState.DONE and drill.disable_at_vobiz
    later = as_admin.get(detail_url(drill))
    assert token.encode() not in later.content
    assert b"Give the team" in later.content and b"Resume" not in later.content


# --- report and resume -----------------------------------------------------------


def test_the_report_says_what_failed_and_offers_resume(as_admin, drill_a):
    page = as_admin.get(detail_url(drill_a)).content.decode()
    assert "Stopped at a failed step" in page
    assert "Vobiz did not answer properly." in page
    assert "Resume" in page


def test_a_lead_of_the_team_cannot_read_or_resume(as_lead_a, drill_a):
    assert as_lead_a.get(detail_url(drill_a)).status_code == 403
    assert as_lead_a.post(resume_url(drill_a)).status_code == 403


def test_resume_continues_against_the_simulator(as_admin, sim, sim_team, admin_user):
    drill = stopped_drill(sim_team, admin_user)
    response = as_admin.post(resume_url(drill))
    assert response.status_code == 200
    drill.refresh_from_db()
    assert drill.state == DrillState.DONE
    assert drill.steps.get().state == StepState.DONE


def test_resuming_a_finished_drill_says_so(as_admin, drill_a):
    Drill.objects.filter(pk=drill_a.pk).update(state=DrillState.DONE)
    response = as_admin.post(resume_url(drill_a), follow=True)
    assert b"nothing is left to do" in response.content


def test_resume_is_post_only(as_admin, drill_a):
    assert as_admin.get(resume_url(drill_a)).status_code == 405


# --- the list ----------------------------------------------------------------------


def test_the_list_shows_drills_and_where_to_start_one(as_admin, drill_a, team_b):
    page = as_admin.get(LIST).content.decode()
    assert detail_url(drill_a) in page
    assert start_url(team_b) in page


@pytest.mark.parametrize("persona", ["as_finance", "as_lead_a"])
def test_the_list_is_for_admins(request, persona, drill_a):
    assert request.getfixturevalue(persona).get(LIST).status_code == 403


def test_the_list_htmx_gets_only_rows(as_admin, drill_a, htmx_headers):
    response = as_admin.get(LIST, **htmx_headers)
    assert b"<html" not in response.content and detail_url(drill_a).encode() in (
        response.content
    )


def test_the_list_query_count_does_not_grow(as_admin, admin_user, team_a, team_b):
    stopped_drill(team_a, admin_user)
    as_admin.get(LIST)
    small = count_queries(lambda: as_admin.get(LIST))
    for _ in range(5):
        stopped_drill(team_b, admin_user)
    big = count_queries(lambda: as_admin.get(LIST))
    assert small == big <= MAX_LIST_QUERIES
