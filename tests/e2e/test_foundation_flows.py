"""End to end in Chromium: an admin creates a sub-account; another team gets a 404."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from accounts.models import SubAccount

pytestmark = pytest.mark.django_db(transaction=True)


def test_admin_creates_a_sub_account_and_finds_it_in_the_list(
    login, live_server, admin_user, sim_provider
):
    # Creating a sub-account goes to Vobiz first: here, the simulator.
    page = login(admin_user)
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Sub-accounts").click()
    page.get_by_role("link", name="New sub-account").click()
    page.get_by_label("Name").fill("Night Shift")
    page.get_by_label("Description").fill("Overnight support desk")
    page.get_by_role("button", name="Create sub-account").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Night Shift")
    expect(page.get_by_text("Sub-account “Night Shift” created.")).to_be_visible()
    assert SubAccount.objects.filter(name="Night Shift").exists()

    nav.get_by_role("link", name="Sub-accounts").click()
    page.get_by_role("searchbox").fill("night")
    # The list filters through htmx: the URL follows, the page does not reload.
    page.wait_for_url(re.compile(r"q=night"))
    rows = page.locator("#rows tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Night Shift")


def test_invalid_input_shows_the_error_next_to_the_field(login, admin_user, provider):
    page = login(admin_user)
    page.goto(page.url + "sub-accounts/new/")
    page.get_by_label("Name").fill("<script>")
    page.get_by_role("button", name="Create sub-account").click()
    expect(page.locator(".field.has-error .error")).to_contain_text(
        "Use letters, digits"
    )
    assert not SubAccount.objects.exists()


def test_lead_of_team_b_gets_404_for_team_a(login, live_server, lead_b, team_a):
    page = login(lead_b)
    response = page.goto(f"{live_server.url}/sub-accounts/{team_a.pk}/")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
    expect(page.locator("body")).not_to_contain_text("Team A")
