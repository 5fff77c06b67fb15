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
