"""End to end in Chromium against the simulator: an admin runs a compromise drill
for one sub-account (typed name, disable at Vobiz); a failure injected at the
trunk step stops it with a report of what was rotated and what failed, the new
token is shown once, and Resume finishes it at the failed step without rotating
the token again."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts.models import SubAccount
from accounts.services import subaccount_provision
from credentials.choices import DrillState
from credentials.models import Drill
from tests.credentials.conftest import SimAuth, password_trunk
from trunks.choices import RotationState
from trunks.models import RotationJob

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def team(sim_provider, admin_user):
    team, _token = subaccount_provision(
        actor=admin_user, provider_account=sim_provider, name="Ops Team"
    )
    password_trunk(team, admin_user, "Ops Trunk", "opstrunk")
    return team


def test_a_drill_stops_at_an_injected_failure_and_resumes(
    login, live_server, admin_user, team, sim
):
    sim_auth = SimAuth(sim)
    old_token = team.auth_token.reveal()
    sim.control.fail(
        status=500,
        count=1,
        path_prefix=f"/api/v1/Account/{team.auth_id}/credentials",
        method="POST",
    )
    page = login(admin_user)
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Security"
    ).click()
    page.get_by_role("navigation", name="Security").get_by_role(
        "link", name="Compromise drills"
    ).click()
    page.get_by_role("link", name="Ops Team").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Compromise drill for Ops Team"
    )
    # A wrong name is refused next to the field and starts nothing.
    page.get_by_label("Type the sub-account's name to confirm").fill("ops team")
    page.get_by_role("button", name="Rotate every secret of Ops Team").click()
    expect(page.get_by_text("Type the name exactly as shown: Ops Team")).to_be_visible()
    assert not Drill.objects.exists()

    page.get_by_label("Type the sub-account's name to confirm").fill("Ops Team")
    page.get_by_label("Also disable the sub-account at Vobiz").check()
    page.get_by_role("button", name="Rotate every secret of Ops Team").click()

    # The report: token rotated (shown once), trunk failed, disable not run.
    expect(page.get_by_role("heading", level=1)).to_have_text("Drill for Ops Team")
    expect(page.get_by_text("This is the only time it is shown")).to_be_visible()
    shown = page.locator("#secret").inner_text().strip()
    assert shown == SubAccount.objects.get(pk=team.pk).auth_token.reveal()
    assert sim_auth.token_status(team.auth_id, old_token) == 401
    expect(page.locator("#steps")).to_contain_text("Stopped at a failed step")
    rows = page.locator("#steps tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_have_attribute("data-state", "done")
    expect(rows.nth(1)).to_have_attribute("data-state", "failed")
    expect(rows.nth(2)).to_have_attribute("data-state", "pending")
    expect(rows.nth(1)).to_contain_text("Resume the drill")
    rotations = sim_auth.rotations()

    page.get_by_role("button", name="Resume").click()
    expect(page.locator("#steps")).to_contain_text("Done")
    for n in range(3):
        expect(rows.nth(n)).to_have_attribute("data-state", "done")
    expect(page.get_by_role("button", name="Resume")).to_have_count(0)
    # The token step was not run again: no second rotation, nothing shown.
    expect(page.locator(".secret-box")).to_have_count(0)
    assert sim_auth.rotations() == rotations
    drill = Drill.objects.get()
    assert drill.state == DrillState.DONE
    assert RotationJob.objects.get().state == RotationState.DONE
    assert SubAccount.objects.get(pk=team.pk).enabled is False
    # The report stays at its address, without the token.
    page.goto(f"{live_server.url}{drill.get_absolute_url()}")
    expect(page.locator("body")).not_to_contain_text(shown)


def test_the_inventory_filters_in_place(login, live_server, admin_user, team):
    page = login(admin_user)
    page.goto(f"{live_server.url}/credentials/")
    page.evaluate("window.__noReload = true")
    rows = page.locator("#rows tbody tr")
    all_rows = rows.count()
    assert all_rows > 3
    page.get_by_label("Kind").select_option("subaccount_token")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(team.auth_id)
    assert "kind=subaccount_token" in page.url
    assert page.evaluate("window.__noReload") is True
