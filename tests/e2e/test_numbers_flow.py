"""End to end in Chromium: a lead requests two numbers, another person (an admin)
approves, the purchase runs, and both see the result without reloading.

No Celery worker runs here: approval's on-commit enqueue is captured and the task
is then run synchronously in the test (`Task.apply`, Celery's eager execution),
while the live server and the task both talk to the real simulator.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from phone_numbers.models import NumberRequest, PhoneNumber
from phone_numbers.tasks import number_request_fulfil
from phone_numbers.templatetags.numbers_tags import e164_display
from tests.conftest import PASSWORD
from tests.e2e.conftest import current_totp
from tests.phone_numbers.conftest import World

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]


@pytest.fixture
def world(sim_provider, sim):
    """The simulator's teams mirrored, with a lead for one of them."""
    return World(sim_provider, sim)


@pytest.fixture
def no_backoff(world):
    world.sim_client()._transport.sleep = lambda seconds: None


@pytest.fixture
def queued(monkeypatch):
    tasks: list[int] = []
    monkeypatch.setattr(
        "phone_numbers.services.requests.enqueue_fulfilment", tasks.append
    )
    return tasks


def sign_in(context, live_server, user):
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    if "/login/verify/" in page.url:
        page.get_by_label("Code").fill(current_totp(user))
        page.get_by_role("button", name="Verify").click()
    page.wait_for_url(f"{live_server.url}/")
    page.errors = errors
    return page


def test_a_lead_requests_two_numbers_an_admin_approves_and_they_arrive(
    browser, live_server, world, admin_user, queued, no_backoff
):
    lead_context = browser.new_context(viewport={"width": 1280, "height": 900})
    admin_context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        lead = sign_in(lead_context, live_server, world.lead)
        lead.get_by_role("navigation", name="Main").get_by_role(
            "link", name="Numbers"
        ).click()
        lead.get_by_role("link", name="Request numbers").first.click()
        lead.get_by_label("Sub-account").select_option(str(world.team.pk))
        lead.get_by_label("Series").select_option("80")
        # DLT fields are only for the 140 and 160 series.
        expect(lead.get_by_label("DLT header")).to_be_hidden()
        lead.get_by_label("Quantity").fill("2")
        lead.get_by_label("Trunk").select_option(str(world.trunk.pk))
        lead.get_by_label("Reason").fill("Second collections queue")
        lead.get_by_role("button", name="Request 2 numbers").click()
        expect(lead.locator("#progress")).to_contain_text("Pending approval")
        number_request = NumberRequest.objects.get()

        admin = sign_in(admin_context, live_server, admin_user)
        admin.goto(f"{live_server.url}/numbers/requests/queue/")
        admin.get_by_role("link", name=f"#{number_request.pk}").click()
        # The inventory loads by itself (htmx); narrow it and tick one number.
        boxes = admin.locator("#inventory input[name=numbers]")
        expect(boxes.first).to_be_visible()
        chosen = boxes.first.get_attribute("value")
        admin.get_by_label("Search Vobiz's inventory").fill(chosen[-5:])
        expect(boxes).to_have_count(1)
        boxes.first.check()
        admin.get_by_role("button", name="Approve and buy 2 numbers").click()
        expect(admin.locator("#progress")).to_contain_text("Approved")
        expect(admin.locator("#progress .poller")).to_have_count(1)
        assert queued == [number_request.pk]

        # The worker's part, run eagerly here.
        result = number_request_fulfil.apply(args=(number_request.pk,))
        assert result.successful(), result.traceback

        # Both pages update by polling, and the polling stops when done.
        expect(admin.locator("#progress")).to_contain_text("Done", timeout=10_000)
        expect(admin.locator("#progress .poller")).to_have_count(0)
        expect(lead.locator("#progress")).to_contain_text("Done", timeout=25_000)
        expect(lead.locator("#progress tbody tr")).to_have_count(2)

        lead.get_by_role("link", name="See them in the inventory").click()
        bought = list(
            PhoneNumber.objects.filter(purchases__request=number_request).order_by(
                "e164"
            )
        )
        assert len(bought) == 2 and chosen in {n.e164 for n in bought}
        rows = lead.locator("#rows tbody tr")
        for number in bought:
            expect(rows.filter(has_text=e164_display(number.e164))).to_have_count(1)
            expect(rows.filter(has_text=e164_display(number.e164))).to_contain_text(
                world.trunk.name
            )
        assert len(world.purchase_debits([n.e164 for n in bought])) == 2
        csp = [
            e for e in lead.errors + admin.errors if re.search("Content.Security", e)
        ]
        assert csp == []
    finally:
        lead_context.close()
        admin_context.close()
