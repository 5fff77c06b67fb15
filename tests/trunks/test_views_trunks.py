"""Trunk pages: list, detail, create, edit, delete. For each: the happy path, the
wrong role (403), another team (404), an unknown id (404), htmx partials where the
page has one, and Vobiz failures shown with nothing changed."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from tests.conftest import MAX_LIST_QUERIES, count_queries
from tests.trunks.conftest import shows
from tests.trunks.factories import IpAclEntryFactory, TrunkFactory
from trunks.models import Trunk, TrunkCredential, TrunkHealthEvent

pytestmark = pytest.mark.django_db

LIST = reverse("trunks:trunk_list")
CREATE = reverse("trunks:trunk_create")


def detail(trunk):
    return reverse("trunks:trunk_detail", args=[trunk.pk])


def edit(trunk):
    return reverse("trunks:trunk_edit", args=[trunk.pk])


def delete(trunk):
    return reverse("trunks:trunk_delete", args=[trunk.pk])


@pytest.fixture
def trunk_a(team_a):
    trunk = TrunkFactory(sub_account=team_a, name="Alpha Out")
    IpAclEntryFactory(trunk=trunk, ip_address="8.8.4.4")
    return trunk


@pytest.fixture
def trunk_b(team_b):
    return TrunkFactory(sub_account=team_b, name="Bravo Out", credential=None)


# List


def test_admin_sees_every_trunk_with_auth_type_and_status(as_admin, trunk_a, trunk_b):
    Trunk.objects.filter(pk=trunk_b.pk).update(status="inactive")
    body = as_admin.get(LIST).content.decode()
    assert "Alpha Out" in body and "Bravo Out" in body
    assert "IP whitelist and password" in body  # Alpha: both
    assert "Inactive" in body and "Active" in body


def test_a_member_sees_only_their_teams_trunks(as_viewer_a, trunk_a, trunk_b):
    body = as_viewer_a.get(LIST).content.decode()
    assert "Alpha Out" in body and "Bravo Out" not in body
    assert "New trunk" not in body


def test_finance_has_no_trunk_pages(as_finance, trunk_a):
    assert as_finance.get(LIST).status_code == 403
    assert as_finance.get(detail(trunk_a)).status_code == 403


def test_the_list_filters_by_sub_account_state_and_auth(
    as_admin, trunk_a, trunk_b, team_b
):
    assert b"Alpha Out" not in as_admin.get(LIST, {"sub_account": team_b.pk}).content
    only_pw = as_admin.get(LIST, {"auth": "password"}).content
    assert b"Alpha Out" not in only_pw
    Trunk.objects.filter(pk=trunk_b.pk).update(enabled=False)
    disabled = as_admin.get(LIST, {"state": "disabled"}).content
    assert b"Bravo Out" in disabled and b"Alpha Out" not in disabled


def test_deleted_trunks_show_only_when_asked(as_admin, trunk_a):
    from django.utils import timezone

    Trunk.objects.filter(pk=trunk_a.pk).update(removed_at=timezone.now())
    assert b"Alpha Out" not in as_admin.get(LIST).content
    assert b"Alpha Out" in as_admin.get(LIST, {"state": "removed"}).content


def test_repeated_auth_failures_show_on_the_list(as_admin, trunk_a):
    from django.utils import timezone

    for _ in range(3):
        TrunkHealthEvent.objects.create(
            trunk=trunk_a, kind="auth_failure", occurred_at=timezone.now()
        )
    assert b"Auth failures" in as_admin.get(LIST).content


def test_htmx_list_request_gets_only_the_rows(as_admin, trunk_a, htmx_headers):
    response = as_admin.get(LIST, **htmx_headers)
    assert b"<html" not in response.content and b"Alpha Out" in response.content
    assert "HX-Request" in response["Vary"]


def test_plain_list_request_gets_the_full_page(as_admin, trunk_a):
    response = as_admin.get(LIST)
    assert b"<html" in response.content and b'id="rows"' in response.content


def test_list_query_count_does_not_grow_with_rows(as_admin, team_a, team_b):
    for team in (team_a, team_b):
        TrunkFactory.create_batch(2, sub_account=team)
    few = count_queries(lambda: as_admin.get(LIST))
    for team in (team_a, team_b):
        for trunk in TrunkFactory.create_batch(10, sub_account=team):
            IpAclEntryFactory(trunk=trunk)
    many = count_queries(lambda: as_admin.get(LIST))
    assert few == many <= MAX_LIST_QUERIES


# Detail


def test_a_member_reads_the_trunk_without_edit_controls(as_viewer_a, trunk_a):
    body = as_viewer_a.get(detail(trunk_a)).content.decode()
    assert "Alpha Out" in body and "8.8.4.4" in body
    assert trunk_a.credential.username in body
    for control in ("Edit", "Delete", "Add to whitelist", "Rotate", "Remove"):
        assert f">{control}" not in body
    assert "Ask an admin to rotate it" not in body  # viewers do not ask


def test_a_lead_may_ask_for_a_rotation_but_not_edit(as_lead_a, trunk_a):
    body = as_lead_a.get(detail(trunk_a)).content.decode()
    assert "Ask an admin to rotate it" in body
    assert edit(trunk_a) not in body and "Add to whitelist" not in body


def test_the_admin_sees_the_controls_and_the_password_age(as_admin, trunk_a):
    body = as_admin.get(detail(trunk_a)).content.decode()
    assert edit(trunk_a) in body and delete(trunk_a) in body
    assert "Add to whitelist" in body and "Rotate now (suspected compromise)" in body
    assert 'badge badge-green"' in body and ">OK<" in body
    assert not shows(
        as_admin.get(detail(trunk_a)), trunk_a.credential.password.reveal()
    )


def test_other_team_gets_404_and_unknown_id_gets_404(as_lead_b, as_admin, trunk_a):
    assert as_lead_b.get(detail(trunk_a)).status_code == 404
    assert (
        as_admin.get(reverse("trunks:trunk_detail", args=[999999])).status_code == 404
    )


def test_an_inactive_trunk_says_since_when(as_admin, trunk_a):
    from django.utils import timezone

    Trunk.objects.filter(pk=trunk_a.pk).update(status="inactive")
    TrunkHealthEvent.objects.create(
        trunk=trunk_a, kind="went_inactive", occurred_at=timezone.now()
    )
    body = as_admin.get(detail(trunk_a)).content.decode()
    assert "Vobiz reports this trunk inactive since" in body


# Create


def create_post(team, **overrides):
    data = {
        "sub_account": team.pk,
        "name": "Sales Out",
        "description": "",
        "direction": "outbound",
        "concurrent_calls_limit": "10",
        "cps_limit": "2",
        "auth_type": "password",
        "username": "",
    }
    data.update(overrides)
    return data


def test_admin_creates_a_trunk_and_sees_the_password_once(as_admin, sim_team, remote):
    response = as_admin.post(CREATE, create_post(sim_team))
    trunk = Trunk.objects.get(name="Sales Out")
    assert response.status_code == 302
    assert remote.trunk(trunk.remote_id)["name"] == "Sales Out"
    assert trunk.credential.username == "salesout"  # suggested from the name
    password = trunk.credential.password.reveal()
    shown = as_admin.get(response["Location"])
    assert shows(shown, password)
    assert b"This is the only time it is shown" in shown.content
    again = as_admin.get(response["Location"])
    assert again.status_code == 410 and not shows(again, password)
    assert not shows(as_admin.get(detail(trunk)), password)


def test_an_ip_trunk_needs_a_valid_first_address(as_admin, sim_team):
    response = as_admin.post(
        CREATE, create_post(sim_team, auth_type="ip", first_ip="203.0.113.5")
    )
    assert response.status_code == 200
    assert "203.0.113.5 is a documentation address; Vobiz rejects it." in (
        response.content.decode()
    )
    assert not Trunk.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "This field is required"),
        ("name", "<script>", "Use letters, digits"),
        ("concurrent_calls_limit", "0", "greater than or equal to 1"),
        ("concurrent_calls_limit", "5000", "less than or equal to 1000"),
        ("cps_limit", "101", "less than or equal to 100"),
        ("direction", "sideways", "Select a valid choice"),
        ("username", "sales_out", "letters and digits only"),
        ("description", "d" * 501, "at most 500 characters"),
    ],
)
def test_bad_input_gets_a_field_error_and_calls_nobody(
    as_admin, sim, sim_team, field, value, message
):
    sim.control.reset_counters()
    response = as_admin.post(CREATE, create_post(sim_team, **{field: value}))
    assert response.status_code == 200 and message in response.content.decode()
    assert not Trunk.objects.exists()
    assert sim.control.counters()["requests"] == 0


def test_a_taken_username_gets_a_suggestion(as_admin, sim_team, admin_user):
    as_admin.post(CREATE, create_post(sim_team))
    response = as_admin.post(
        CREATE, create_post(sim_team, name="B", username="salesout")
    )
    assert "try “salesout2”" in response.content.decode()


def test_a_vobiz_failure_is_shown_and_changes_nothing(as_admin, sim, sim_team, remote):
    sim.control.fail(status=500, count=1, path_prefix="/api/v1/Account", method="POST")
    response = as_admin.post(CREATE, create_post(sim_team))
    assert response.status_code == 200
    assert "Vobiz did not answer properly" in response.content.decode()
    assert not Trunk.objects.exists() and not TrunkCredential.objects.exists()
    assert remote.trunks() == [] and remote.credentials() == []


def test_a_vobiz_validation_error_lands_on_its_field(as_admin, sim, sim_team):
    path = f"/api/v1/Account/{sim_team.auth_id}/trunks"
    sim.control.fail(status=422, count=1, path_prefix=path, method="POST")
    response = as_admin.post(CREATE, create_post(sim_team))
    assert response.status_code == 200 and b"Vobiz" in response.content
    assert not Trunk.objects.exists()


def test_htmx_create_rerenders_only_the_form(as_admin, sim_team, htmx_headers):
    response = as_admin.post(CREATE, create_post(sim_team, name=""), **htmx_headers)
    assert b"<html" not in response.content and b'id="trunk-form"' in response.content


def test_htmx_create_redirects_the_whole_page(as_admin, sim_team, htmx_headers):
    response = as_admin.post(CREATE, create_post(sim_team), **htmx_headers)
    assert response["HX-Redirect"].startswith("/trunks/secret/?t=")


def test_the_form_offers_only_teams_the_portal_can_act_for(as_admin, team_a, sim_team):
    team_a.auth_token = ""
    team_a.save()
    body = as_admin.get(CREATE).content.decode()
    assert "Ops Team" in body and "Team A" not in body


@pytest.mark.parametrize("persona", ["as_finance", "as_lead_a", "as_viewer_a"])
def test_non_admins_cannot_create(request, persona, team_a):
    client = request.getfixturevalue(persona)
    assert client.get(CREATE).status_code == 403
    assert client.post(CREATE, create_post(team_a)).status_code == 403


# Edit


def edit_post(**overrides):
    data = {
        "name": "Ops Trunk 2",
        "description": "",
        "direction": "both",
        "concurrent_calls_limit": "25",
        "cps_limit": "4",
        "enabled": "on",
    }
    data.update(overrides)
    return data


def test_admin_edits_at_vobiz(as_admin, sim_trunk, remote):
    response = as_admin.post(edit(sim_trunk), edit_post())
    assert response.status_code == 302
    at_vobiz = remote.trunk(sim_trunk.remote_id)
    assert (at_vobiz["name"], at_vobiz["trunk_direction"]) == ("Ops Trunk 2", "both")
    sim_trunk.refresh_from_db()
    assert sim_trunk.concurrent_calls_limit == 25
    assert AuditEvent.objects.filter(action="trunk.update").count() == 1


def test_a_failed_edit_is_shown_and_changes_nothing(as_admin, sim, sim_trunk, remote):
    sim.control.fail(status=500, count=2, method="PUT")
    response = as_admin.post(edit(sim_trunk), edit_post())
    assert response.status_code == 200
    assert "Vobiz did not answer properly" in response.content.decode()
    sim_trunk.refresh_from_db()
    assert sim_trunk.name == "Ops Trunk"
    assert remote.trunk(sim_trunk.remote_id)["name"] == "Ops Trunk"


def test_htmx_edit_gets_the_form_partial(as_admin, trunk_a, htmx_headers):
    response = as_admin.get(edit(trunk_a), **htmx_headers)
    assert b"<html" not in response.content and b'id="trunk-form"' in response.content
    full = as_admin.get(edit(trunk_a))
    assert b"<html" in full.content


def test_a_lead_gets_403_on_edit(as_lead_a, trunk_a):
    assert as_lead_a.get(edit(trunk_a)).status_code == 403
    assert as_lead_a.post(edit(trunk_a), edit_post()).status_code == 403


def test_edit_of_another_team_or_unknown_trunk_is_404(as_lead_b, as_admin, trunk_a):
    assert as_lead_b.get(edit(trunk_a)).status_code == 404
    assert as_admin.get(reverse("trunks:trunk_edit", args=[999999])).status_code == 404


# Delete


def test_delete_states_the_consequences(as_admin, trunk_a):
    body = as_admin.get(delete(trunk_a)).content.decode()
    assert "ends its calls at once" in body and "cannot be undone" in body


def test_delete_needs_the_confirmation(as_admin, sim_trunk, remote):
    response = as_admin.post(delete(sim_trunk), {})
    assert response.status_code == 200
    assert len(remote.trunks()) == 1


def test_admin_deletes_at_vobiz(as_admin, sim_trunk, remote):
    response = as_admin.post(delete(sim_trunk), {"confirm": "on"})
    assert response.status_code == 302 and response["Location"] == LIST
    assert remote.trunks() == []
    sim_trunk.refresh_from_db()
    assert sim_trunk.removed_at is not None


def test_a_failed_delete_is_shown(as_admin, sim, sim_trunk, remote):
    sim.control.fail(status=409, count=1, method="DELETE")
    response = as_admin.post(delete(sim_trunk), {"confirm": "on"})
    assert response.status_code == 200
    assert "Vobiz refused because of a conflict" in response.content.decode()
    assert len(remote.trunks()) == 1


def test_delete_roles_and_scope(as_lead_a, as_lead_b, as_admin, trunk_a):
    assert as_lead_a.post(delete(trunk_a), {"confirm": "on"}).status_code == 403
    assert as_lead_b.post(delete(trunk_a), {"confirm": "on"}).status_code == 404
    assert (
        as_admin.get(reverse("trunks:trunk_delete", args=[999999])).status_code == 404
    )
    trunk_a.refresh_from_db()
    assert trunk_a.removed_at is None
