"""Actions on one sub-account, each going to Vobiz (the simulator) first:
disable and enable, delete with the typed name, "Create at Vobiz" for one typed
into the portal, and revealing the stored token once more."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts import services
from accounts.models import AuditEvent, SubAccount
from tests.accounts.conftest import at_vobiz
from tests.trunks.factories import TrunkFactory

pytestmark = pytest.mark.django_db


def detail(sa):
    return reverse("accounts:subaccount_detail", args=[sa.pk])


def toggle(sa):
    return reverse("accounts:subaccount_toggle", args=[sa.pk])


def delete_url(sa):
    return reverse("accounts:subaccount_delete", args=[sa.pk])


def push_url(sa):
    return reverse("accounts:subaccount_push", args=[sa.pk])


def token_url(sa):
    return reverse("accounts:subaccount_token", args=[sa.pk])


# Disable / enable


def test_disable_needs_confirmation(as_admin, team_a):
    response = as_admin.post(toggle(team_a), {})
    assert response.status_code == 200
    team_a.refresh_from_db()
    assert team_a.enabled is True


def test_admin_disables_then_enables_at_vobiz(as_admin, sim, sim_team):
    as_admin.post(toggle(sim_team), {"confirm": "on"})
    sim_team.refresh_from_db()
    assert sim_team.enabled is False and sim_team.disabled_at is not None
    assert at_vobiz(sim, sim_team.auth_id).json()["enabled"] is False
    as_admin.post(toggle(sim_team), {})
    sim_team.refresh_from_db()
    assert sim_team.enabled is True
    actions = list(
        AuditEvent.objects.filter(
            action__in=["subaccount.disable", "subaccount.enable"]
        )
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["subaccount.disable", "subaccount.enable"]


def test_a_failed_disable_says_why_and_keeps_it_enabled(as_admin, sim, sim_team):
    sim.control.fail(status=500, count=2, path_prefix="/api/v1/accounts", method="PUT")
    response = as_admin.post(toggle(sim_team), {"confirm": "on"}, follow=True)
    assert "Vobiz did not answer properly" in response.content.decode()
    sim_team.refresh_from_db()
    assert sim_team.enabled is True


def test_lead_cannot_disable(as_lead_a, team_a):
    assert as_lead_a.post(toggle(team_a), {"confirm": "on"}).status_code == 403
    team_a.refresh_from_db()
    assert team_a.enabled is True


def test_other_team_disable_is_404(as_lead_b, team_a):
    assert as_lead_b.post(toggle(team_a), {"confirm": "on"}).status_code == 404


# Delete


def test_delete_page_states_the_consequence_and_asks_for_the_name(as_admin, team_a):
    response = as_admin.get(delete_url(team_a))
    assert response.status_code == 200
    assert b"permanent" in response.content and b"Type <strong>Team A</strong>" in (
        response.content
    )


def test_a_wrong_name_deletes_nothing(as_admin, sim, sim_team):
    response = as_admin.post(delete_url(sim_team), {"confirm_name": "ops team"})
    assert response.status_code == 200
    assert "Type the name exactly as shown: Ops Team" in response.content.decode()
    sim_team.refresh_from_db()
    assert sim_team.removed_at is None
    assert at_vobiz(sim, sim_team.auth_id).status_code == 200


def test_admin_deletes_at_vobiz_and_history_is_kept(as_admin, sim, sim_team):
    TrunkFactory(sub_account=sim_team)
    response = as_admin.post(delete_url(sim_team), {"confirm_name": "Ops Team"})
    assert response.status_code == 302
    assert at_vobiz(sim, sim_team.auth_id).status_code == 404
    sim_team.refresh_from_db()
    assert sim_team.removed_at is not None
    page = as_admin.get(detail(sim_team))
    assert b"Deleted" in page.content and b"subaccount_delete" not in page.content


def test_a_failed_delete_is_shown_and_changes_nothing(as_admin, sim, sim_team):
    sim.control.fail(
        status=500, count=2, path_prefix="/api/v1/accounts", method="DELETE"
    )
    response = as_admin.post(delete_url(sim_team), {"confirm_name": "Ops Team"})
    assert response.status_code == 200
    assert "Vobiz did not answer properly" in response.content.decode()
    sim_team.refresh_from_db()
    assert sim_team.removed_at is None


@pytest.mark.parametrize("persona", ["as_finance", "as_lead_a", "as_viewer_a"])
def test_only_admins_delete(request, persona, team_a):
    client = request.getfixturevalue(persona)
    assert client.get(delete_url(team_a)).status_code == 403
    assert (
        client.post(delete_url(team_a), {"confirm_name": "Team A"}).status_code == 403
    )
    team_a.refresh_from_db()
    assert team_a.removed_at is None


def test_other_team_and_unknown_ids_are_404_on_the_new_pages(
    as_lead_b, as_admin, team_a
):
    for url in (delete_url(team_a), push_url(team_a), token_url(team_a)):
        assert as_lead_b.get(url).status_code == 404
        assert as_lead_b.post(url, {"confirm": "on"}).status_code == 404
    unknown = SubAccount(pk=999999)
    for url in (delete_url(unknown), push_url(unknown), token_url(unknown)):
        assert as_admin.get(url).status_code == 404


# Create at Vobiz (a sub-account typed into the portal before)


def test_a_portal_only_sub_account_offers_create_at_vobiz(as_admin, sim, sim_provider):
    local = services.subaccount_create(
        actor=None, provider_account=sim_provider, name="Typed In"
    )
    page = as_admin.get(detail(local))
    assert push_url(local).encode() in page.content
    response = as_admin.post(push_url(local))
    local.refresh_from_db()
    assert local.auth_id.startswith("SA_")
    assert at_vobiz(sim, local.auth_id).status_code == 200
    shown = as_admin.get(response["Location"])
    assert local.auth_token.reveal() in shown.content.decode()
    assert push_url(local).encode() not in as_admin.get(detail(local)).content


def test_a_failed_push_says_why_and_leaves_it_local(as_admin, sim, sim_provider):
    local = services.subaccount_create(
        actor=None, provider_account=sim_provider, name="Typed In"
    )
    sim.control.fail(status=500, count=1, path_prefix="/api/v1/accounts")
    response = as_admin.post(push_url(local), follow=True)
    assert "Vobiz did not answer properly" in response.content.decode()
    local.refresh_from_db()
    assert local.auth_id is None


def test_a_lead_cannot_push(as_lead_a, team_a):
    assert as_lead_a.post(push_url(team_a)).status_code == 403


# Token reveal


def test_revealing_the_token_needs_confirmation_and_is_audited(as_admin, team_a):
    token = team_a.auth_token.reveal()
    unconfirmed = as_admin.post(token_url(team_a), {})
    assert unconfirmed.status_code == 200 and token not in unconfirmed.content.decode()
    assert not AuditEvent.objects.filter(action="subaccount.token_revealed").exists()
    response = as_admin.post(token_url(team_a), {"confirm": "on"})
    assert response.status_code == 302
    shown = as_admin.get(response["Location"])
    assert token in shown.content.decode()
    assert b'class="secret-box"' in shown.content
    assert AuditEvent.objects.filter(action="subaccount.token_revealed").count() == 1
    assert token not in as_admin.get(response["Location"]).content.decode()


@pytest.mark.parametrize("persona", ["as_finance", "as_lead_a", "as_viewer_a"])
def test_only_admins_reveal_the_token(request, persona, team_a):
    client = request.getfixturevalue(persona)
    assert client.get(token_url(team_a)).status_code == 403
    assert client.post(token_url(team_a), {"confirm": "on"}).status_code == 403
    assert not AuditEvent.objects.filter(action="subaccount.token_revealed").exists()


def test_someone_elses_ticket_shows_nothing(as_admin, as_lead_a, team_a):
    response = as_admin.post(token_url(team_a), {"confirm": "on"})
    stolen = as_lead_a.get(response["Location"])
    assert stolen.status_code == 410
    assert team_a.auth_token.reveal() not in stolen.content.decode()
