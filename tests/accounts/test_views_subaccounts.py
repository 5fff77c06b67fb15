"""Sub-account pages: scoping, roles, htmx partials, validation, audit, and the
writes that go to Vobiz (the simulator) first: create with the token shown once,
edit, disable, delete with the typed name, "Create at Vobiz", token reveal."""

from __future__ import annotations

import pytest
import requests
from django.urls import reverse

from accounts import services
from accounts.models import AuditEvent, SubAccount
from tests.conftest import MAX_LIST_QUERIES, count_queries
from tests.factories import SubAccountFactory
from tests.trunks.factories import TrunkFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sim_team(sim_provider, admin_user):
    team, _token = services.subaccount_provision(
        actor=admin_user, provider_account=sim_provider, name="Ops Team"
    )
    return team


def at_vobiz(sim, team):
    master = sim.credentials["auth_id"]
    return requests.get(
        f"{sim.base_url}/accounts/{master}/sub-accounts/{team.auth_id}",
        headers=sim.auth_headers(),
        verify=sim.ca_bundle,
        timeout=10,
    )


def delete_url(sa):
    return reverse("accounts:subaccount_delete", args=[sa.pk])


def push_url(sa):
    return reverse("accounts:subaccount_push", args=[sa.pk])


def token_url(sa):
    return reverse("accounts:subaccount_token", args=[sa.pk])


LIST = reverse("accounts:subaccount_list")
CREATE = reverse("accounts:subaccount_create")


def detail(sa):
    return reverse("accounts:subaccount_detail", args=[sa.pk])


def edit(sa):
    return reverse("accounts:subaccount_edit", args=[sa.pk])


def toggle(sa):
    return reverse("accounts:subaccount_toggle", args=[sa.pk])


def valid_post(provider, **overrides):
    data = {
        "provider_account": provider.pk,
        "name": "Billing Ops",
        "description": "Collections desk",
        "kind": "team",
        "rate_limit": "500",
        "permit_calls": "on",
    }
    data.update(overrides)
    return data


# List


def test_admin_sees_every_sub_account(as_admin, team_a, team_b):
    response = as_admin.get(LIST)
    assert response.status_code == 200
    assert b"Team A" in response.content and b"Team B" in response.content


def test_finance_sees_every_sub_account(as_finance, team_a, team_b):
    response = as_finance.get(LIST)
    assert b"Team A" in response.content and b"Team B" in response.content
    assert b"New sub-account" not in response.content


def test_lead_sees_only_own_team(as_lead_b, team_a, team_b):
    response = as_lead_b.get(LIST)
    assert b"Team B" in response.content
    assert b"Team A" not in response.content


def test_search_filters_the_list(as_admin, team_a, team_b):
    response = as_admin.get(LIST, {"q": "Team B"})
    assert b"Team B" in response.content and b"Team A" not in response.content


def test_htmx_request_gets_only_the_rows_partial(as_admin, team_a, htmx_headers):
    response = as_admin.get(LIST, **htmx_headers)
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert b"Team A" in response.content
    assert "HX-Request" in response["Vary"]


def test_plain_request_gets_the_full_page(as_admin, team_a):
    response = as_admin.get(LIST)
    assert b"<html" in response.content and b'id="rows"' in response.content


def test_anonymous_is_sent_to_login(client, team_a):
    response = client.get(LIST)
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_list_query_count_does_not_grow_with_rows(as_admin, provider):
    SubAccountFactory.create_batch(3, provider_account=provider)
    few = count_queries(lambda: as_admin.get(LIST))
    SubAccountFactory.create_batch(60, provider_account=provider)
    many = count_queries(lambda: as_admin.get(LIST))
    assert few == many <= MAX_LIST_QUERIES


# Detail


def test_member_sees_own_sub_account(as_viewer_a, team_a, lead_a):
    response = as_viewer_a.get(detail(team_a))
    assert response.status_code == 200
    assert b"Lea Lead" in response.content


def test_other_team_gets_404(as_lead_b, team_a):
    assert as_lead_b.get(detail(team_a)).status_code == 404


def test_unknown_id_gets_404(as_admin):
    assert (
        as_admin.get(reverse("accounts:subaccount_detail", args=[999999])).status_code
        == 404
    )


def test_detail_never_shows_the_auth_token(as_admin, team_a):
    response = as_admin.get(detail(team_a))
    assert team_a.auth_token.reveal() not in response.content.decode()


# Create


def test_admin_creates_a_sub_account_at_vobiz_and_sees_the_token_once(
    as_admin, sim, sim_provider
):
    response = as_admin.post(CREATE, valid_post(sim_provider))
    created = SubAccount.objects.get(name="Billing Ops")
    assert response.status_code == 302
    assert created.auth_id.startswith("SA_") and created.auth_token
    assert at_vobiz(sim, created).json()["rate_limit"] == 500
    assert created.rate_limit == 500 and created.permit_cdr is False
    event = AuditEvent.objects.get(action="subaccount.create")
    assert event.after["name"] == "Billing Ops" and event.after["at_vobiz"] is True
    assert event.actor.email == "admin@example.com"
    assert event.source_ip == "127.0.0.1"
    shown = as_admin.get(response["Location"])
    token = created.auth_token.reveal()
    assert token in shown.content.decode() and b"only time it is shown" in shown.content
    assert "no-store" in shown["Cache-Control"]
    again = as_admin.get(response["Location"])
    assert again.status_code == 410 and token not in again.content.decode()
    assert token not in as_admin.get(detail(created)).content.decode()


def test_a_vobiz_failure_on_create_is_shown_and_changes_nothing(
    as_admin, sim, sim_provider
):
    sim.control.fail(status=500, count=1, path_prefix="/api/v1/accounts")
    response = as_admin.post(CREATE, valid_post(sim_provider))
    assert response.status_code == 200
    assert "Vobiz did not answer properly" in response.content.decode()
    assert not SubAccount.objects.exists()


def test_htmx_create_redirects_the_whole_page(
    as_admin, sim, sim_provider, htmx_headers
):
    response = as_admin.post(CREATE, valid_post(sim_provider), **htmx_headers)
    assert response.status_code == 200
    assert response["HX-Redirect"].startswith("/trunks/secret/?t=")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "This field is required"),
        ("name", "<script>alert(1)</script>", "Use letters, digits"),
        ("name", "x" * 101, "at most 100 characters"),
        ("rate_limit", "0", "greater than or equal to 1"),
        ("rate_limit", "abc", "Enter a whole number"),
        ("kind", "galaxy", "Select a valid choice"),
        ("description", "d" * 501, "at most 500 characters"),
    ],
)
def test_bad_input_gets_a_field_error_and_changes_nothing(
    as_admin, provider, field, value, message
):
    response = as_admin.post(CREATE, valid_post(provider, **{field: value}))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not SubAccount.objects.exists()
    assert not AuditEvent.objects.exists()


def test_duplicate_name_is_refused(as_admin, provider, team_a):
    response = as_admin.post(CREATE, valid_post(provider, name="team a"))
    assert "already exists" in response.content.decode()
    assert SubAccount.objects.count() == 1


def test_htmx_invalid_create_rerenders_only_the_form(as_admin, provider, htmx_headers):
    response = as_admin.post(CREATE, valid_post(provider, name=""), **htmx_headers)
    assert b"<html" not in response.content
    assert b'id="subaccount-form"' in response.content


@pytest.mark.parametrize("persona", ["as_finance", "as_lead_a", "as_viewer_a"])
def test_non_admins_cannot_create(request, persona, provider):
    client = request.getfixturevalue(persona)
    assert client.get(CREATE).status_code == 403
    assert client.post(CREATE, valid_post(provider)).status_code == 403
    assert not SubAccount.objects.filter(name="Billing Ops").exists()


# Edit


def test_admin_edits_at_vobiz_and_the_change_is_audited(as_admin, sim, sim_team):
    data = {
        "name": "Ops Prime",
        "description": "",
        "kind": "application",
        "rate_limit": 900,
    }
    response = as_admin.post(edit(sim_team), data)
    assert response.status_code == 302
    sim_team.refresh_from_db()
    assert sim_team.name == "Ops Prime" and sim_team.kind == "application"
    remote = at_vobiz(sim, sim_team).json()
    assert (remote["name"], remote["rate_limit"]) == ("Ops Prime", 900)
    event = AuditEvent.objects.get(action="subaccount.update")
    assert event.before["name"] == "Ops Team" and event.after["name"] == "Ops Prime"
    assert (
        event.before["auth_token"] == event.after["auth_token"] != sim_team.auth_token
    )


def test_a_vobiz_validation_error_lands_on_the_field(as_admin, sim, sim_team):
    sim.control.fail(status=422, count=1, path_prefix="/api/v1/accounts", method="PUT")
    data = {"name": "Ops Prime", "kind": "team", "rate_limit": 900}
    response = as_admin.post(edit(sim_team), data)
    assert response.status_code == 200
    assert "Vobiz" in response.content.decode()
    sim_team.refresh_from_db()
    assert sim_team.name == "Ops Team"


def test_lead_cannot_edit_own_team(as_lead_a, team_a):
    assert as_lead_a.get(edit(team_a)).status_code == 403
    assert as_lead_a.post(edit(team_a), {"name": "Hacked"}).status_code == 403
    team_a.refresh_from_db()
    assert team_a.name == "Team A"


def test_other_team_edit_is_404(as_lead_b, team_a):
    assert as_lead_b.get(edit(team_a)).status_code == 404


def test_edit_to_an_existing_name_is_refused(as_admin, team_a, team_b):
    data = {"name": "Team B", "kind": "team", "rate_limit": 10}
    response = as_admin.post(edit(team_a), data)
    assert "already exists" in response.content.decode()
    team_a.refresh_from_db()
    assert team_a.name == "Team A"


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
    assert at_vobiz(sim, sim_team).json()["enabled"] is False
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
    assert at_vobiz(sim, sim_team).status_code == 200


def test_admin_deletes_at_vobiz_and_history_is_kept(as_admin, sim, sim_team):
    TrunkFactory(sub_account=sim_team)
    response = as_admin.post(delete_url(sim_team), {"confirm_name": "Ops Team"})
    assert response.status_code == 302
    assert at_vobiz(sim, sim_team).status_code == 404
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
    assert at_vobiz(sim, local).status_code == 200
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
