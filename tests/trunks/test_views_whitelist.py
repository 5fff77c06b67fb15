"""The IP whitelist editor on the trunk page: add and remove in place (htmx) or
as plain form posts; clear errors; admins only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from tests.trunks.factories import IpAclEntryFactory, TrunkFactory
from trunks.models import IpAclEntry

pytestmark = pytest.mark.django_db


def add(trunk):
    return reverse("trunks:trunk_whitelist_add", args=[trunk.pk])


def remove(entry):
    return reverse("trunks:trunk_whitelist_remove", args=[entry.trunk_id, entry.pk])


@pytest.fixture
def trunk_a(team_a):
    trunk = TrunkFactory(sub_account=team_a)
    IpAclEntryFactory(trunk=trunk, ip_address="8.8.4.4")
    return trunk


def test_htmx_add_swaps_only_the_whitelist(as_admin, sim_trunk, remote, htmx_headers):
    response = as_admin.post(
        add(sim_trunk),
        {"ip_address": "34.120.7.0/24", "description": "DC"},
        **htmx_headers,
    )
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert body.lstrip().startswith('<section class="card" id="whitelist">')
    assert "34.120.7.0/24" in body and "8.8.4.4" in body
    assert 'hx-swap-oob="true"' in body and "34.120.7.0/24 whitelisted." in body
    assert {a["ip_address"] for a in remote.acls()} == {"8.8.4.4", "34.120.7.0/24"}


def test_a_plain_add_redirects_to_the_trunk(as_admin, sim_trunk):
    response = as_admin.post(add(sim_trunk), {"ip_address": "8.8.8.8"})
    assert response.status_code == 302 and response["Location"] == (
        sim_trunk.get_absolute_url()
    )
    assert IpAclEntry.objects.present().filter(ip_address="8.8.8.8").exists()


def test_a_private_range_is_added_with_a_warning(as_admin, sim_trunk, htmx_headers):
    response = as_admin.post(
        add(sim_trunk), {"ip_address": "10.1.2.0/24"}, **htmx_headers
    )
    assert "is a private range (RFC 1918)" in response.content.decode()
    assert IpAclEntry.objects.filter(ip_address="10.1.2.0/24").exists()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("203.0.113.5", "203.0.113.5 is a documentation address; Vobiz rejects it."),
        ("2001:db8::1", "looks like an IPv6 address; Vobiz accepts IPv4 only."),
        ("0.0.0.0/0", "0.0.0.0/0 would let the whole internet use this trunk"),
        ("34.120.0.0/16", "need an admin to tick “I confirm this wide range”"),
        ("8.8.4.4", "8.8.4.4 is already on this sub-account&#x27;s whitelist."),
        ("nonsense", "“nonsense” is not an IPv4 address or range."),
    ],
)
def test_bad_entries_get_the_error_in_place_and_reach_nobody(
    as_admin, sim, sim_trunk, htmx_headers, value, message
):
    sim.control.reset_counters()
    response = as_admin.post(add(sim_trunk), {"ip_address": value}, **htmx_headers)
    body = response.content.decode()
    assert response.status_code == 200 and message in body
    assert 'class="field has-error"' in body
    assert sim.control.counters()["requests"] == 0
    assert IpAclEntry.objects.count() == 1


def test_a_wide_range_passes_with_the_confirmation_and_is_audited(as_admin, sim_trunk):
    as_admin.post(add(sim_trunk), {"ip_address": "34.120.0.0/16", "wide_confirm": "on"})
    assert IpAclEntry.objects.filter(ip_address="34.120.0.0/16").exists()
    event = AuditEvent.objects.get(action="trunk.ip_added")
    assert event.after["wide_range_confirmed"] is True


def test_a_description_with_markup_is_refused(as_admin, sim_trunk):
    response = as_admin.post(
        add(sim_trunk), {"ip_address": "8.8.8.8", "description": "<b>PBX</b>"}
    )
    assert "Use letters, digits" in response.content.decode()
    assert IpAclEntry.objects.count() == 1


def test_a_vobiz_refusal_is_shown_in_place(as_admin, sim, sim_trunk, htmx_headers):
    sim.control.fail(status=500, count=1, path_prefix="/api/v1/Account", method="POST")
    response = as_admin.post(add(sim_trunk), {"ip_address": "8.8.8.8"}, **htmx_headers)
    assert "Vobiz did not answer properly" in response.content.decode()
    assert IpAclEntry.objects.count() == 1


def test_htmx_remove_swaps_the_whitelist(as_admin, sim_trunk, remote, htmx_headers):
    as_admin.post(add(sim_trunk), {"ip_address": "8.8.8.8"})
    entry = IpAclEntry.objects.get(ip_address="8.8.8.8")
    response = as_admin.post(remove(entry), **htmx_headers)
    body = response.content.decode()
    assert "<html" not in body and "8.8.8.8 removed from the whitelist." in body
    assert [a["ip_address"] for a in remote.acls()] == ["8.8.4.4"]


def test_a_plain_remove_redirects(as_admin, sim_trunk):
    as_admin.post(add(sim_trunk), {"ip_address": "8.8.8.8"})
    entry = IpAclEntry.objects.get(ip_address="8.8.8.8")
    response = as_admin.post(remove(entry))
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.removed_at is not None


def test_a_failed_remove_keeps_the_entry_and_says_why(
    as_admin, sim, sim_trunk, htmx_headers
):
    entry = IpAclEntry.objects.get()
    sim.control.fail(status=500, count=2, method="DELETE")
    response = as_admin.post(remove(entry), **htmx_headers)
    assert "Vobiz did not answer properly" in response.content.decode()
    entry.refresh_from_db()
    assert entry.removed_at is None


@pytest.mark.parametrize("persona", ["as_lead_a", "as_viewer_a", "as_finance"])
def test_only_admins_edit_the_whitelist(request, persona, trunk_a):
    client = request.getfixturevalue(persona)
    entry = IpAclEntry.objects.get()
    assert client.post(add(trunk_a), {"ip_address": "8.8.8.8"}).status_code == 403
    assert client.post(remove(entry)).status_code == 403
    assert IpAclEntry.objects.present().count() == 1


def test_other_team_and_unknown_ids_are_404(as_lead_b, as_admin, trunk_a, team_b):
    entry = IpAclEntry.objects.get()
    assert as_lead_b.post(add(trunk_a), {"ip_address": "8.8.8.8"}).status_code == 404
    assert as_lead_b.post(remove(entry)).status_code == 404
    other = TrunkFactory(sub_account=team_b)
    wrong_trunk = reverse("trunks:trunk_whitelist_remove", args=[other.pk, entry.pk])
    assert as_admin.post(wrong_trunk).status_code == 404
    unknown = reverse("trunks:trunk_whitelist_add", args=[999999])
    assert as_admin.post(unknown, {"ip_address": "8.8.8.8"}).status_code == 404


def test_get_is_not_allowed(as_admin, trunk_a):
    assert as_admin.get(add(trunk_a)).status_code == 405
