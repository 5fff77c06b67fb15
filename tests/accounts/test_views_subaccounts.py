"""Sub-account pages: list and detail (scoping, roles, htmx partials, query
counts), and the create and edit forms, whose writes go to Vobiz (the simulator)
first: create with the token shown once, edit."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import AuditEvent, SubAccount
from tests.accounts.conftest import at_vobiz
from tests.conftest import MAX_LIST_QUERIES, count_queries
from tests.factories import SubAccountFactory
from vobiz.errors import ValidationFailed

pytestmark = pytest.mark.django_db


LIST = reverse("accounts:subaccount_list")
CREATE = reverse("accounts:subaccount_create")


def detail(sa):
    return reverse("accounts:subaccount_detail", args=[sa.pk])


def edit(sa):
    return reverse("accounts:subaccount_edit", args=[sa.pk])


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
    assert at_vobiz(sim, created.auth_id).json()["rate_limit"] == 500
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
    remote = at_vobiz(sim, sim_team.auth_id).json()
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


class RefusingClient:
    """A master client whose every change Vobiz refuses, naming the field."""

    def update_sub_account(self, auth_id, **body):
        raise ValidationFailed(
            "Invalid permissions",
            status=422,
            details={"errors": [{"field": "permissions", "message": "not allowed"}]},
        )


def test_a_field_vobiz_names_gets_the_error_beside_it(as_admin, team_a, monkeypatch):
    monkeypatch.setattr(
        "accounts.services.subaccounts.master_client", lambda provider: RefusingClient()
    )
    data = {"name": "Team A", "kind": "team", "rate_limit": 1000, "permit_cdr": "on"}
    response = as_admin.post(edit(team_a), data)
    assert response.status_code == 200
    assert response.context["form"].errors == {"permit_calls": ["Vobiz: not allowed"]}
    team_a.refresh_from_db()
    assert team_a.permit_calls is True


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
