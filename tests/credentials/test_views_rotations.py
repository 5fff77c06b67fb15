"""Rotation pages: confirm with the consequence, rotate against the simulator and
show the new secret once, say what still works when Vobiz refuses; admins only,
another team's sub-account is a 404, htmx gets the form partial."""

from __future__ import annotations

import secrets

import pytest
from django.urls import reverse

from accounts.models import SubAccount
from credentials.models import RotationRecord
from monitoring.models import NotificationChannel
from sync.models import ProviderAccount

pytestmark = pytest.mark.django_db

SHOW_ONCE = b"This is the only time it is shown"


def team_url(team):
    return reverse("credentials:subaccount_token_rotate", args=[team.pk])


def master_url(provider=None):
    url = reverse("credentials:master_token_rotate")
    return f"{url}?provider={provider.pk}" if provider else url


def console_url(provider):
    return f"{reverse('credentials:master_console_password')}?provider={provider.pk}"


def channel_url(channel):
    return reverse("credentials:channel_secret_rotate", args=[channel.pk])


@pytest.fixture
def channel(db):
    return NotificationChannel.objects.create(
        name="Ops hook",
        kind="webhook",
        url="https://hooks.example.com/x",
        url_display="https://hooks.example.com",
        secret=secrets.token_urlsafe(32),
    )


# --- the checklist -----------------------------------------------------------------


def test_the_confirmation_states_the_consequence(as_admin, team_a):
    response = as_admin.get(team_url(team_a))
    assert response.status_code == 200
    assert b"stops working" in response.content
    assert b"I understand the current secret stops working" in response.content


def test_a_lead_of_the_team_gets_403(as_lead_a, team_a):
    assert as_lead_a.get(team_url(team_a)).status_code == 403
    assert as_lead_a.post(team_url(team_a), {"confirm": "on"}).status_code == 403
    assert not RotationRecord.objects.exists()


def test_another_teams_sub_account_is_404(as_lead_b, team_a):
    assert as_lead_b.get(team_url(team_a)).status_code == 404
    assert as_lead_b.post(team_url(team_a), {"confirm": "on"}).status_code == 404


def test_an_unknown_sub_account_is_404(as_admin):
    response = as_admin.get(reverse("credentials:subaccount_token_rotate", args=[9999]))
    assert response.status_code == 404


def test_htmx_gets_only_the_form(as_admin, team_a, htmx_headers):
    response = as_admin.get(team_url(team_a), **htmx_headers)
    assert b"<html" not in response.content and b"<form" in response.content


def test_a_plain_request_gets_the_full_page(as_admin, team_a):
    assert b"<html" in as_admin.get(team_url(team_a)).content


def test_without_the_tick_nothing_is_rotated(as_admin, team_a):
    before = team_a.auth_token.token
    response = as_admin.post(team_url(team_a), {})
    assert response.status_code == 200
    assert b"Tick the box to confirm the rotation." in response.content
    assert SubAccount.objects.get(pk=team_a.pk).auth_token.token == before
    assert not RotationRecord.objects.exists()


@pytest.mark.parametrize("persona", ["as_finance", "as_lead_a"])
def test_master_and_channel_pages_are_for_admins(request, persona, provider, channel):
    client = request.getfixturevalue(persona)
    for url in (master_url(provider), console_url(provider), channel_url(channel)):
        assert client.get(url).status_code == 403, url
        assert client.post(url, {"confirm": "on"}).status_code == 403, url
    overlap = reverse("credentials:channel_overlap_end", args=[channel.pk])
    assert client.post(overlap).status_code == 403


def test_unknown_master_and_channel_are_404(as_admin, provider, channel):
    assert as_admin.get(master_url() + "?provider=999").status_code == 404
    assert as_admin.get(master_url() + "?provider=abc").status_code == 404
    assert as_admin.get(channel_url(NotificationChannel(pk=9999))).status_code == 404
    email = NotificationChannel.objects.create(
        name="Ops list", kind="email", email_to="ops@example.com"
    )
    assert as_admin.get(channel_url(email)).status_code == 404


def test_the_only_master_account_needs_no_id(as_admin, provider):
    assert as_admin.get(master_url()).status_code == 200
    ProviderAccount.objects.create(label="Second", auth_id="MA_SECOND01")
    assert as_admin.get(master_url()).status_code == 404


# --- against the simulator ---------------------------------------------------------


def test_rotating_shows_the_new_token_once(as_admin, sim_team):
    response = as_admin.post(team_url(sim_team), {"confirm": "on"})
    assert response.status_code == 200
    token = SubAccount.objects.get(pk=sim_team.pk).auth_token.reveal()
    assert token.encode() in response.content and SHOW_ONCE in response.content
    assert "no-store" in response["Cache-Control"]
    again = as_admin.get(reverse("credentials:inventory")).content
    assert token.encode() not in again


def test_a_refusal_is_shown_with_what_still_works(as_admin, sim, sim_team):
    sim.control.fail(
        status=500, count=3, path_prefix="/api/v1/auth-token/rotate", method="POST"
    )
    response = as_admin.post(team_url(sim_team), {"confirm": "on"})
    assert response.status_code == 200
    assert b"current auth token still works" in response.content
    assert SHOW_ONCE not in response.content


def test_the_master_token_page_rotates(as_admin, sim_provider):
    response = as_admin.post(master_url(sim_provider), {"confirm": "on"})
    token = ProviderAccount.objects.get(pk=sim_provider.pk).auth_token.reveal()
    assert token.encode() in response.content and SHOW_ONCE in response.content


def test_the_console_password_page_changes_it(as_admin, sim_provider):
    response = as_admin.post(console_url(sim_provider), {"confirm": "on"})
    password = ProviderAccount.objects.get(pk=sim_provider.pk).login_password.reveal()
    assert password.encode() in response.content and SHOW_ONCE in response.content
    assert b"every earlier refresh token is void" in response.content


def test_the_channel_page_rotates_and_explains_the_receiver_side(as_admin, channel):
    page = as_admin.get(channel_url(channel)).content
    assert b"X-Portal-Signature-Previous" in page
    response = as_admin.post(channel_url(channel), {"confirm": "on"})
    secret = NotificationChannel.objects.get(pk=channel.pk).secret.reveal()
    assert secret.encode() in response.content and SHOW_ONCE in response.content
    assert b"either header" in response.content


def test_ending_the_overlap_from_the_inventory(as_admin, admin_user, channel):
    from credentials.services import channel_secret_rotate

    channel_secret_rotate(actor=admin_user, channel=channel)
    inventory = as_admin.get(reverse("credentials:inventory")).content
    assert b"End overlap" in inventory
    url = reverse("credentials:channel_overlap_end", args=[channel.pk])
    response = as_admin.post(url)
    assert response.status_code == 302
    assert not NotificationChannel.objects.get(pk=channel.pk).previous_secret
    assert as_admin.get(url).status_code == 405
