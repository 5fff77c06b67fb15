"""The dashboard shows real figures for each role."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts import services

pytestmark = pytest.mark.django_db

URL = reverse("portal:dashboard")


def test_admin_sees_counts_latest_events_and_teams_without_lead(
    as_admin, admin_user, provider, team_a, team_b, lead_a
):
    services.subaccount_create(
        actor=admin_user, provider_account=provider, name="Fresh Team"
    )
    response = as_admin.get(URL)
    figures = response.context["figures"]
    assert figures["team_count"] == 3
    assert figures["member_count"] == 1
    assert [t.name for t in figures["teams_without_lead"]] == ["Fresh Team", "Team B"]
    assert b"subaccount.create" in response.content
    assert b"Account health" in response.content


def test_finance_sees_the_overview(as_finance, team_a, team_b):
    response = as_finance.get(URL)
    assert response.context["figures"]["team_count"] == 2
    assert b"Finance overview" in response.content


def test_lead_sees_only_their_team(as_lead_b, team_a, team_b, lead_a):
    response = as_lead_b.get(URL)
    figures = response.context["figures"]
    assert figures["team_count"] == 1
    assert [m.sub_account.name for m in figures["my_memberships"]] == ["Team B"]
    assert b"Team A" not in response.content
    assert "latest_events" not in figures


def test_navigation_follows_the_role(as_admin, as_finance, as_viewer_a):
    assert b">Users<" in as_admin.get(URL).content
    finance = as_finance.get(URL).content
    assert b">Audit log<" in finance and b">Users<" not in finance
    viewer = as_viewer_a.get(URL).content
    assert b">Audit log<" not in viewer and b">Users<" not in viewer


def test_anonymous_dashboard_redirects_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_admin_sees_pending_number_requests(as_admin, team_a, lead_a):
    from tests.security.world import number_request_for

    number_request_for(team_a, lead_a)
    response = as_admin.get(URL)
    assert response.context["figures"]["pending_requests"] == 1
    assert b"Number requests waiting" in response.content


def test_member_sees_numbers_and_trunks_of_their_team(
    as_lead_a, team_a, team_b, provider
):
    from phone_numbers.models import PhoneNumber

    PhoneNumber.objects.create(
        provider_account=provider, sub_account=team_a, e164="+918011110000"
    )
    PhoneNumber.objects.create(
        provider_account=provider, sub_account=team_b, e164="+918011110001"
    )
    memberships = as_lead_a.get(URL).context["figures"]["my_memberships"]
    assert [(m.number_count, m.trunk_count) for m in memberships] == [(1, 0)]
