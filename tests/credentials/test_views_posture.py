"""The posture page: findings with their fix, for admins only, an htmx partial,
in a fixed number of queries."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.choices import GlobalRole
from credentials.services import encryption_keys_record
from tests.conftest import MAX_LIST_QUERIES, count_queries
from tests.credentials.test_selectors_posture import acl
from tests.credentials.test_views_inventory import sip_trunk
from tests.factories import SubAccountFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = reverse("credentials:posture")


@pytest.fixture(autouse=True)
def _keys(db):
    encryption_keys_record()


def test_the_page_lists_findings_with_their_fix(as_admin, team_a):
    acl(team_a, "10.0.0.0/8")
    page = as_admin.get(URL).content.decode()
    assert "10.0.0.0/8" in page and "Narrow the whitelist" in page
    assert "High" in page


@pytest.mark.parametrize("persona", ["as_finance", "as_lead_a"])
def test_the_page_is_for_admins(request, persona):
    assert request.getfixturevalue(persona).get(URL).status_code == 403


def test_htmx_gets_only_the_findings(as_admin, team_a, htmx_headers):
    acl(team_a, "10.0.0.0/8")
    response = as_admin.get(URL, **htmx_headers)
    assert b"<html" not in response.content and b"10.0.0.0/8" in response.content


def test_the_query_count_does_not_grow(as_admin, provider, team_a):
    acl(team_a, "10.0.0.0/8")
    sip_trunk(team_a)
    as_admin.get(URL)
    small = count_queries(lambda: as_admin.get(URL))
    for n in range(5):
        team = SubAccountFactory(provider_account=provider, enabled=False)
        acl(team, f"10.{n}.0.0/12")
        acl(team, f"203.0.113.{n}")
        sip_trunk(team, username=f"user{n}")
        UserFactory(email=f"admin{n}@example.com", role=GlobalRole.ADMIN)
    big = count_queries(lambda: as_admin.get(URL))
    assert len(posture_of(as_admin)) > 10
    assert small == big <= MAX_LIST_QUERIES


def posture_of(client):
    return client.get(URL).content.decode().split('<tr data-check="')[1:]
