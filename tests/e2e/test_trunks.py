"""End to end in Chromium against the simulator: an admin whitelists an address in
place (htmx, no reload) and rotates a SIP password that is shown exactly once; a
team lead reads the trunk without edit controls and gets a 403 on the edit URL."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts.choices import MembershipRole
from tests.factories import MembershipFactory, UserFactory
from tests.trunks.conftest import make_sim_team, make_sim_trunk
from trunks.models import IpAclEntry, RotationJob

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sim_trunk(sim_provider, admin_user):
    return make_sim_trunk(make_sim_team(sim_provider, admin_user), admin_user)


def test_admin_whitelists_an_address_in_place(
    login, live_server, admin_user, sim_trunk
):
    page = login(admin_user)
    page.goto(f"{live_server.url}{sim_trunk.get_absolute_url()}")
    page.evaluate("window.__noReload = true")
    page.get_by_label("IPv4 address or range").fill("34.120.7.0/24")
    page.get_by_label("What is at this address").fill("Data centre")
    page.get_by_role("button", name="Add to whitelist").click()
    whitelist = page.locator("#whitelist")
    expect(whitelist.locator("tbody tr")).to_have_count(2)
    expect(whitelist).to_contain_text("34.120.7.0/24")
    expect(page.locator("#messages")).to_contain_text("34.120.7.0/24 whitelisted.")
    assert page.evaluate("window.__noReload") is True  # swapped, not reloaded
    assert IpAclEntry.objects.filter(ip_address="34.120.7.0/24").exists()
    # A bad entry gets its error next to the field, still in place.
    page.get_by_label("IPv4 address or range").fill("203.0.113.5")
    page.get_by_role("button", name="Add to whitelist").click()
    expect(whitelist.locator(".error")).to_have_text(
        "203.0.113.5 is a documentation address; Vobiz rejects it."
    )
    assert page.evaluate("window.__noReload") is True


def test_admin_rotates_and_sees_the_password_exactly_once(
    login, live_server, admin_user, sim_trunk
):
    page = login(admin_user)
    trunk_url = f"{live_server.url}{sim_trunk.get_absolute_url()}"
    page.goto(trunk_url)
    page.get_by_role("link", name="Rotate now (suspected compromise)").click()
    page.get_by_label("I understand the old password stops working").check()
    page.get_by_role("button", name="Rotate password now").click()
    expect(page.get_by_text("This is the only time it is shown")).to_be_visible()
    shown = page.locator("#secret-value").inner_text().strip()
    job = RotationJob.objects.get()
    assert shown == job.new_password.reveal() and len(shown) == 20
    secret_url = page.url
    page.go_back()
    expect(page.locator("body")).not_to_contain_text(shown)
    page.go_forward()
    expect(page.get_by_role("heading", level=1)).to_have_text("Already shown")
    expect(page.locator("body")).not_to_contain_text(shown)
    page.goto(secret_url)
    expect(page.locator("body")).not_to_contain_text(shown)
    page.goto(trunk_url)
    expect(page.locator("body")).not_to_contain_text(shown)
    expect(page.locator("#password")).to_contain_text(job.new_username)


def test_a_lead_reads_the_trunk_but_cannot_edit_it(login, live_server, sim_trunk):
    lead = UserFactory(email="lead.ops@example.com", full_name="Olga Ops")
    MembershipFactory(
        user=lead, sub_account=sim_trunk.sub_account, role=MembershipRole.LEAD
    )
    page = login(lead)
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Trunks"
    ).click()
    page.get_by_role("link", name="Ops Trunk").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ops Trunk")
    expect(page.locator("#whitelist")).to_contain_text("8.8.4.4")
    for name in ("Edit", "Delete", "Rotate now (suspected compromise)"):
        expect(page.get_by_role("link", name=name)).to_have_count(0)
    expect(page.get_by_role("button", name="Add to whitelist")).to_have_count(0)
    expect(page.get_by_role("button", name="Ask an admin to rotate it")).to_be_visible()
    response = page.goto(f"{live_server.url}/trunks/{sim_trunk.pk}/edit/")
    assert response.status == 403
