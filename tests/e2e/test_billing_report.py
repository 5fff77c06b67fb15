"""In Chromium: the CDR report filters through htmx without reloading the page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from tests.billing.report_data import bulk_cdrs

pytestmark = pytest.mark.django_db(transaction=True)

CANVAS = "document.querySelector('canvas[data-chart]')"


@pytest.fixture
def calls(provider, team_a, team_b):
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(days=1)
    bulk_cdrs(provider, team_a, count=3, start=start, direction="outbound")
    bulk_cdrs(provider, team_b, count=2, start=start, direction="inbound")


def test_finance_filters_the_report_by_direction_without_reload(
    login, live_server, finance_user, calls
):
    page = login(finance_user)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # Chart.js and charts.js must work under the CSP (no inline script or style).
    page.on(
        "console",
        lambda msg: (
            errors.append(msg.text) if "Content Security Policy" in msg.text else None
        ),
    )
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Billing"
    ).click()
    page.get_by_role("navigation", name="Billing").get_by_role(
        "link", name="Call records"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Call records")
    calls_total = page.locator('[data-total="calls"]')
    expect(calls_total).to_have_text("5")
    expect(page.locator("#rows tbody tr")).to_have_count(5)
    # Charts were drawn by static/js/charts.js from the data-chart attributes.
    page.wait_for_function(f"() => window.Chart && Chart.getChart({CANVAS})")

    page.evaluate("window.__noReload = 'still here'")
    page.get_by_label("Direction").select_option("inbound")

    page.wait_for_url(re.compile(r"direction=inbound"))
    expect(calls_total).to_have_text("2")
    expect(page.locator("#rows tbody tr")).to_have_count(2)
    expect(page.locator("#rows tbody")).to_contain_text("Team B")
    expect(page.locator("#rows tbody")).not_to_contain_text("Team A")
    assert page.evaluate("window.__noReload") == "still here"
    assert page.evaluate(f"() => !!Chart.getChart({CANVAS})")
    assert errors == []

    # The URL is shareable: opening it fresh shows the same filtered report.
    page.goto(page.url)
    expect(page.locator('[data-total="calls"]')).to_have_text("2")
    expect(page.get_by_label("Direction")).to_have_value("inbound")
